//! What an order line asks of its units: personalisation per unit, and the
//! material, colour and tags, where the order's own words win over the
//! product's.

use serde_json::Value;

/// The personalisation of each of `quantity` units: an array of exactly
/// `quantity` values gives one per unit; anything else is every unit's.
pub fn per_unit(given: Option<&Value>, quantity: usize) -> Vec<Option<Value>> {
    match given {
        Some(Value::Array(values)) if values.len() == quantity => {
            values.iter().cloned().map(Some).collect()
        }
        other => vec![other.cloned(); quantity],
    }
}

/// Material and colour of a unit: the order's, else the product's.
pub fn requirement(ordered: Option<&str>, product: Option<&str>) -> Option<String> {
    ordered.or(product).map(str::to_owned)
}

/// Tags a unit's printer needs: the product's and the order's, once each.
pub fn tags(product: &[String], ordered: &[String]) -> Vec<String> {
    let mut out = product.to_vec();
    for tag in ordered {
        if !out.contains(tag) {
            out.push(tag.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_array_of_one_value_per_unit_is_split_and_anything_else_shared() {
        let names = json!([{"name": "Al"}, {"name": "Bo"}]);
        assert_eq!(
            per_unit(Some(&names), 2),
            [Some(json!({"name": "Al"})), Some(json!({"name": "Bo"}))]
        );
        let shared = json!({"name": "Cy"});
        assert_eq!(
            per_unit(Some(&shared), 2),
            [Some(shared.clone()), Some(shared)]
        );
        assert_eq!(
            per_unit(Some(&names), 3).len(),
            3,
            "a wrong count is shared, not split"
        );
        assert_eq!(per_unit(None, 2), [None, None]);
    }

    #[test]
    fn the_order_overrides_the_product() {
        assert_eq!(
            requirement(Some("PETG"), Some("PLA")).as_deref(),
            Some("PETG")
        );
        assert_eq!(requirement(None, Some("PLA")).as_deref(), Some("PLA"));
        assert_eq!(requirement(None, None), None);
        assert_eq!(
            tags(&["mk3s".into()], &["large".into(), "mk3s".into()]),
            ["mk3s", "large"]
        );
    }
}
