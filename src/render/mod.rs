//! Personalised products: a template rendered for each unit with the
//! customer's values (OpenSCAD → PrusaSlicer → printfarm's own analysis).
//!
//! - [`spec`] and [`font`]: what a product takes, and the checks of a
//!   unit's values (pure);
//! - [`scad`]: the parameter file, the wrapper that reads back what
//!   OpenSCAD applied, and the comparison (pure);
//! - [`stl`]: a part's size (pure);
//! - [`bundle`]: a template's files as stored, and which profile a unit uses;
//! - [`tools`] and [`pipeline`]: the tools as child processes with limits;
//! - [`directory`]: product folders loaded at start;
//! - [`define`]: a product version checked and rendered once at creation;
//! - [`worker`]: the pool that works the persistent render queue.
//!
//! Customer text never becomes code: values travel as data in a parameter
//! file, and what OpenSCAD applied is compared with what was asked.

pub mod bundle;
pub mod define;
pub mod directory;
pub mod font;
pub mod pipeline;
pub mod scad;
pub mod spec;
pub mod stl;
pub mod tools;
pub mod worker;

use crate::store::{NewRender, ProductKind, ProductRecord};
use bundle::Profile;
use font::Charset;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use spec::{ParamValue, ParameterKind, ProductSpec, Refusal};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tools::Tools;

/// Changes whenever the pipeline's output for the same inputs would.
const PIPELINE_VERSION: &str = "printfarm-render-1";

/// A template product, as renders read it from its record.
#[derive(Debug, Clone)]
pub struct Template {
    /// Stock-keeping unit.
    pub sku: String,
    /// Version.
    pub version: i64,
    /// What it takes.
    pub spec: ProductSpec,
    /// Its bundle's directory.
    pub bundle_dir: PathBuf,
    /// Its bundle's SHA-256.
    pub bundle_sha256: String,
    /// Its slicer profiles.
    pub profiles: Vec<Profile>,
    /// The glyphs of its font.
    pub charset: Option<Charset>,
}

impl Template {
    /// The template of a record; `None` for a fixed-file product.
    pub fn from_record(record: &ProductRecord) -> Result<Option<Template>, String> {
        let ProductKind::Template {
            bundle_dir,
            bundle_sha256,
        } = &record.kind
        else {
            return Ok(None);
        };
        let spec: ProductSpec = serde_json::from_value(record.spec.clone())
            .map_err(|e| format!("stored spec of {} is unreadable: {e}", record.sku))?;
        let profiles: Vec<Profile> = serde_json::from_value(record.profiles.clone())
            .map_err(|e| format!("stored profiles of {} are unreadable: {e}", record.sku))?;
        let charset = record
            .charset
            .as_ref()
            .and_then(|c| serde_json::from_value(c.clone()).ok());
        Ok(Some(Template {
            sku: record.sku.clone(),
            version: record.version,
            spec,
            bundle_dir: PathBuf::from(bundle_dir),
            bundle_sha256: bundle_sha256.clone(),
            profiles,
            charset,
        }))
    }

    /// Parameter names, and whether each is text (for the wrapper).
    pub fn parameter_kinds(&self, values: &BTreeMap<String, ParamValue>) -> Vec<(String, bool)> {
        self.spec
            .parameters
            .iter()
            .filter(|p| values.contains_key(&p.name))
            .map(|p| {
                let text = match p.kind {
                    ParameterKind::Text => true,
                    ParameterKind::Number => false,
                    ParameterKind::Choice => {
                        matches!(values.get(&p.name), Some(ParamValue::Text(_)))
                    }
                };
                (p.name.clone(), text)
            })
            .collect()
    }

    /// Checks one unit's values and names the render that makes its file.
    pub fn plan_unit(
        &self,
        given: &Map<String, Value>,
        profile: &Profile,
        tools: &Tools,
    ) -> Result<NewRender, Refusal> {
        let values = self.spec.unit_values(given, self.charset.as_ref())?;
        Ok(NewRender {
            key: render_key(&self.bundle_sha256, profile, &values, tools),
            sku: self.sku.clone(),
            version: self.version,
            profile: profile.name.clone(),
            values: serde_json::to_value(&values).unwrap_or_default(),
        })
    }
}

/// Everything that decides a render's output, hashed: the pipeline, the
/// bundle, the profile, the values and the tools' versions. (The tools'
/// output is not byte-identical between runs, so the key is the inputs.)
pub fn render_key(
    bundle_sha256: &str,
    profile: &Profile,
    values: &BTreeMap<String, ParamValue>,
    tools: &Tools,
) -> String {
    let mut digest = Sha256::new();
    digest.update(PIPELINE_VERSION);
    digest.update(format!(
        "\nbundle {bundle_sha256}\nprofile {} {}\n",
        profile.name, profile.sha256
    ));
    digest.update(serde_json::to_string(values).unwrap_or_default());
    digest.update(format!("\ntools {}\n", tools.fingerprint()));
    hex::encode(digest.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_inputs_share_a_key_and_any_input_changes_it() {
        let profile = Profile {
            name: "default".into(),
            tag: None,
            sha256: "p1".into(),
        };
        let values = BTreeMap::from([("name".to_owned(), ParamValue::Text("Al".into()))]);
        let tools = Tools::default();
        let key = render_key("b1", &profile, &values, &tools);
        assert_eq!(key, render_key("b1", &profile, &values, &tools));
        assert_ne!(key, render_key("b2", &profile, &values, &tools));
        let other = BTreeMap::from([("name".to_owned(), ParamValue::Text("Bo".into()))]);
        assert_ne!(key, render_key("b1", &profile, &other, &tools));
        let newer = Tools {
            openscad: Some(tools::Tool {
                program: "openscad".into(),
                version: "2025".into(),
            }),
            ..Tools::default()
        };
        assert_ne!(key, render_key("b1", &profile, &values, &newer));
    }
}
