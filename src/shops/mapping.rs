//! A store's line mapped to the farm: which product (the shop's SKU map,
//! else the same SKU) and which parameter values (the shop's property map,
//! else the product's parameter labels). Pure.

use super::payload::StoreLine;
use crate::render::spec::ProductSpec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A shop's translation tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShopMaps {
    /// Store SKU (or line title) → farm SKU.
    #[serde(default)]
    pub sku_map: BTreeMap<String, String>,
    /// Store property label → product parameter name.
    #[serde(default)]
    pub property_map: BTreeMap<String, String>,
}

/// An operator's correction of one line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineOverride {
    /// The farm SKU to make.
    pub sku: Option<String>,
    /// The units' values: one object for all, or one per unit.
    pub personalisation: Option<Value>,
}

/// The farm SKU for `line`: the override, the shop's map (by SKU, then by
/// title), else the store's SKU itself. `Err` says why there is none.
pub fn farm_sku(
    maps: &ShopMaps,
    line: &StoreLine,
    correction: Option<&LineOverride>,
) -> Result<String, String> {
    if let Some(sku) = correction.and_then(|c| c.sku.clone()) {
        return Ok(sku);
    }
    if let Some(sku) = line.sku.as_ref().and_then(|s| maps.sku_map.get(s)) {
        return Ok(sku.clone());
    }
    if let Some(sku) = maps.sku_map.get(&line.title) {
        return Ok(sku.clone());
    }
    line.sku.clone().ok_or_else(|| {
        format!(
            "line {:?} has no SKU and the shop's sku_map does not name it",
            line.title
        )
    })
}

/// The parameter values the line's properties give: each property label
/// through the shop's map, else matched to a parameter's label or name.
/// Properties that name no parameter are left out.
pub fn values(maps: &ShopMaps, spec: Option<&ProductSpec>, line: &StoreLine) -> Map<String, Value> {
    let mut out = Map::new();
    for (label, value) in &line.properties {
        let parameter = match maps.property_map.get(label) {
            Some(name) => Some(name.clone()),
            None => spec
                .and_then(|s| s.parameter_by_label(label))
                .map(|p| p.name.clone()),
        };
        if let Some(name) = parameter {
            out.insert(name, Value::String(value.clone()));
        }
    }
    out
}

/// The personalisation of a line's units: the operator's correction, else
/// the values its properties give (none when they give nothing).
pub fn personalisation(
    maps: &ShopMaps,
    spec: Option<&ProductSpec>,
    line: &StoreLine,
    correction: Option<&LineOverride>,
) -> Option<Value> {
    if let Some(given) = correction.and_then(|c| c.personalisation.clone()) {
        return Some(given);
    }
    let found = values(maps, spec, line);
    (!found.is_empty()).then_some(Value::Object(found))
}

#[cfg(test)]
mod tests {
    use super::{farm_sku, personalisation, LineOverride, ShopMaps};
    use crate::render::spec::ProductSpec;
    use crate::shops::payload::StoreLine;
    use serde_json::json;

    fn line(sku: Option<&str>, properties: &[(&str, &str)]) -> StoreLine {
        StoreLine {
            id: "1".into(),
            sku: sku.map(str::to_owned),
            quantity: 1,
            title: "Key-ring name tag (Black)".into(),
            properties: properties
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn spec() -> ProductSpec {
        serde_json::from_value(json!({
            "name": "Tag",
            "parameters": [
                {"name": "name", "type": "text", "label": "Name on tag", "default": "A"},
                {"name": "font_size", "type": "number", "label": "Text size (mm)", "default": 10}
            ]
        }))
        .expect("spec")
    }

    #[test]
    fn skus_map_through_the_shop_then_fall_back_to_the_store_sku() {
        let maps = ShopMaps {
            sku_map: [("TAG-BLK".to_owned(), "nametag".to_owned())].into(),
            ..ShopMaps::default()
        };
        let by_title = ShopMaps {
            sku_map: [("Key-ring name tag (Black)".to_owned(), "nametag".to_owned())].into(),
            ..ShopMaps::default()
        };
        let fixed = LineOverride {
            sku: Some("other".into()),
            personalisation: None,
        };
        let cases = [
            (&maps, line(Some("TAG-BLK"), &[]), None, "nametag"),
            (&maps, line(Some("MUG-1"), &[]), None, "MUG-1"),
            (&by_title, line(None, &[]), None, "nametag"),
            (&maps, line(Some("TAG-BLK"), &[]), Some(&fixed), "other"),
        ];
        for (maps, line, correction, expected) in cases {
            let sku = farm_sku(maps, &line, correction);
            assert_eq!(sku.as_deref(), Ok(expected), "{line:?}");
        }
        let missing = farm_sku(&maps, &line(None, &[]), None).expect_err("no sku");
        assert!(missing.contains("has no SKU"), "{missing}");
    }

    #[test]
    fn properties_become_parameters_by_map_label_or_name() {
        let spec = spec();
        let given = line(
            Some("TAG"),
            &[
                ("Name on tag", "Jane"),
                ("Gift wrap", "yes"),
                ("Size", "12"),
            ],
        );
        let maps = ShopMaps {
            property_map: [("Size".to_owned(), "font_size".to_owned())].into(),
            ..ShopMaps::default()
        };
        assert_eq!(
            personalisation(&maps, Some(&spec), &given, None),
            Some(json!({"name": "Jane", "font_size": "12"}))
        );
        let by_name = line(Some("TAG"), &[("name", "Olaf")]);
        assert_eq!(
            personalisation(&ShopMaps::default(), Some(&spec), &by_name, None),
            Some(json!({"name": "Olaf"}))
        );
        assert_eq!(
            personalisation(&ShopMaps::default(), Some(&spec), &line(None, &[]), None),
            None
        );
    }
}
