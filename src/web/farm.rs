//! The farm page (a tile per printer, with what it has loaded and a form
//! to record a material change) and the tasks page (work for technicians).
//! The script fills both from the JSON API and keeps them live.

use super::pages::{allowed, layout, Page};
use crate::api::{ApiError, AppState, Caller};
use crate::store::ToolLoad;
use axum::extract::State;
use axum::response::Response;
use maud::html;

/// What a printer's tools hold, in words (`PLA · black`; with several
/// tools `T0 PLA · black, T1 PETG`); the script writes the same.
pub fn loads_text(loads: &[ToolLoad]) -> String {
    let one = |l: &ToolLoad| match (&l.material, &l.colour) {
        (m, _) if m.is_empty() => "—".to_owned(),
        (m, Some(colour)) => format!("{m} · {colour}"),
        (m, None) => m.clone(),
    };
    match loads {
        [] => "nothing recorded".to_owned(),
        [single] => one(single),
        many => many
            .iter()
            .enumerate()
            .map(|(i, l)| format!("T{i} {}", one(l)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `GET /`: one tile per printer, with what it has loaded and a form to
/// record a material change.
pub async fn farm(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    let caller = match allowed(Page::Farm, caller) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let views = state.farm.printers();
    let main = html! {
        section #tiles .tiles aria-label="Printers" {
            @for (i, printer) in state.config.printers.iter().enumerate() {
                @let loaded = views.iter().find(|v| v.name == printer.name).map(|v| v.loaded.clone());
                @let loaded = loaded.unwrap_or_else(|| printer.materials.iter().map(|m| ToolLoad {
                    material: m.material.clone(),
                    colour: m.colour.clone(),
                }).collect());
                article.tile data-printer=(printer.name) {
                    header.tile-head {
                        h2 { (printer.name) }
                        p.material { "Loaded: " span.loaded { (loads_text(&loaded)) } }
                    }
                    div.tile-body { p.state.state-offline { "loading…" } }
                    details.change {
                        summary { "Change material" }
                        form.load data-printer=(printer.name) {
                            label for=(format!("material-{i}")) { "Material" }
                            input id=(format!("material-{i}")) name="material" required autocomplete="off" placeholder="PETG";
                            label for=(format!("colour-{i}")) { "Colour" }
                            input id=(format!("colour-{i}")) name="colour" autocomplete="off" placeholder="orange";
                            @if printer.extruders > 1 {
                                label for=(format!("tool-{i}")) { "Tool" }
                                select id=(format!("tool-{i}")) name="tool" {
                                    @for tool in 0..printer.extruders { option value=(tool) { "T" (tool) } }
                                }
                            }
                            button type="submit" { "Record" }
                            p.error.form-error role="alert" {}
                        }
                    }
                }
            }
        }
    };
    layout(Page::Farm, &caller, main)
}

/// `GET /tasks`: open work for technicians, oldest first; the script fills
/// it from `GET /api/tasks` and shows times in the farm's zone.
pub async fn tasks(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    let caller = match allowed(Page::Tasks, caller) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let zone = state.config.farm.time.timezone.iana_name().unwrap_or("UTC");
    let main = html! {
        p.hint { "Beds to clear, materials to change and services due, oldest first. "
            "Done records the work; a task outside the shift says when it can be done." }
        div.scroll {
            table #tasks data-timezone=(zone) {
                thead { tr {
                    th scope="col" { "Task" } th scope="col" { "Printer" } th scope="col" { "Reason" }
                    th scope="col" { "Waiting" } th scope="col" { "Workable" } th scope="col" { "Actions" }
                } }
                tbody {}
            }
        }
    };
    layout(Page::Tasks, &caller, main)
}

#[cfg(test)]
mod tests {
    use super::loads_text;
    use crate::store::ToolLoad;

    fn load(material: &str, colour: Option<&str>) -> ToolLoad {
        ToolLoad {
            material: material.to_owned(),
            colour: colour.map(str::to_owned),
        }
    }

    #[test]
    fn loads_read_as_words() {
        assert_eq!(loads_text(&[]), "nothing recorded");
        assert_eq!(loads_text(&[load("PLA", Some("black"))]), "PLA · black");
        assert_eq!(
            loads_text(&[load("PLA", None), load("", None)]),
            "T0 PLA, T1 —"
        );
    }
}
