// printfarm demo template: key-ring name tag with raised text.
// printfarm renders it with each unit's values from a customizer parameter
// file and reads back what OpenSCAD applied; see src/render/scad.rs.
//
// Customer-facing parameters are the top-level assignments below. They are
// overridden from a customizer parameter file (-p/-P), never by editing code.
// The tag's outline is the hull of the (offset) text itself, so its length
// follows the real glyph widths (OpenSCAD 2021.01 has no textmetrics()).

/* [Customer] */
// Text printed on the tag
name = "Alice";
// Text size in mm (about the cap height; spec.json limits it to 6..16)
font_size = 10; // [5:1:20]

/* [Fixed] */
font = "DejaVu Sans:style=Bold";
base_thickness = 3;   // mm, base plate
text_height = 1;      // mm, raised text on top of the plate
margin = 3;           // mm, plate border around the text
hole_d = 5;           // mm, key-ring hole diameter
ring_wall = 3;        // mm, material around the hole

$fn = 32;

// Refuse blank names instead of silently producing a tag without text.
function _non_space_count(s) = len([for (c = s) if (c != " " && c != "\t") c]);
assert(is_string(name), "name must be a string");
assert(is_num(font_size) && font_size > 0, "font_size must be a positive number");
assert(_non_space_count(name) > 0, "name must not be blank");

module label_2d() {
    // left edge at x=0; baseline at y=-font_size/2 so the capitals sit roughly centred on y=0
    translate([0, -font_size / 2])
        text(name, size = font_size, font = font, halign = "left", valign = "baseline");
}

ring_r = hole_d / 2 + ring_wall;
ring_x = -margin - ring_r + ring_wall / 2;   // ring centre, left of the text

module plate_2d() {
    difference() {
        hull() {
            offset(r = margin) label_2d();
            translate([ring_x, 0]) circle(r = ring_r);
        }
        translate([ring_x, 0]) circle(d = hole_d);
    }
}

union() {
    linear_extrude(height = base_thickness) plate_2d();
    translate([0, 0, base_thickness - 0.01])   // small overlap -> one manifold solid
        linear_extrude(height = text_height + 0.01) label_2d();
}
