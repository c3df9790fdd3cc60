//! Targets: the part of the farm an OctoPrint client talks to. At the root
//! it is the whole farm; under `/target/{name}/` it is the printers that hold
//! a material (`petg`), a material in a colour (`petg-orange`), or carry a
//! tag (`tag:large`), matched without regard to case against `printers.toml`.
//! Jobs sent to a target require what the target names.

use super::super::error::ApiError;
use super::super::jobs::Submission;
use super::super::AppState;
use crate::config::{Config, PrinterProfile};
use crate::store::JobRecord;
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Path};
use axum::http::request::Parts;
use std::collections::HashMap;

/// The printers a request is about, and what its jobs require.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The name as in the URL; empty for the whole farm.
    pub name: String,
    /// Required material, spelled as in `printers.toml`.
    pub material: Option<String>,
    /// Required colour, spelled as in `printers.toml`.
    pub colour: Option<String>,
    /// Required printer tag, spelled as in `printers.toml`.
    pub tag: Option<String>,
}

impl Target {
    /// The target `name` names in `config`, if any printer matches it.
    pub fn parse(name: &str, config: &Config) -> Option<Target> {
        let named = |material, colour, tag| Target {
            name: name.to_owned(),
            material,
            colour,
            tag,
        };
        if let Some(wanted) = name.strip_prefix("tag:") {
            let tag = config
                .printers
                .iter()
                .flat_map(|p| &p.tags)
                .find(|t| t.eq_ignore_ascii_case(wanted))?;
            return Some(named(None, None, Some(tag.clone())));
        }
        let loaded = config.printers.iter().flat_map(|p| &p.materials);
        for held in loaded {
            if held.material.eq_ignore_ascii_case(name) {
                return Some(named(Some(held.material.clone()), None, None));
            }
            let Some(colour) = &held.colour else { continue };
            if format!("{}-{colour}", held.material).eq_ignore_ascii_case(name) {
                let material = Some(held.material.clone());
                return Some(named(material, Some(colour.clone()), None));
            }
        }
        None
    }

    /// True when `profile` is one of the target's printers.
    pub fn admits(&self, profile: &PrinterProfile) -> bool {
        let holds = |m: &crate::config::LoadedMaterial| {
            self.material.as_ref().is_none_or(|w| *w == m.material)
                && self
                    .colour
                    .as_ref()
                    .is_none_or(|w| m.colour.as_ref() == Some(w))
        };
        let material_ok = (self.material.is_none() && self.colour.is_none())
            || profile.materials.iter().any(holds);
        material_ok && self.tag.as_ref().is_none_or(|t| profile.tags.contains(t))
    }

    /// True when `job` was sent to this target (the whole farm: every job).
    pub fn sent(&self, job: &JobRecord) -> bool {
        self.name.is_empty()
            || (job.material == self.material
                && job.colour == self.colour
                && self
                    .tag
                    .as_ref()
                    .is_none_or(|t| job.required_tags.contains(t)))
    }

    /// The printers of the target, in `printers.toml` order.
    pub fn printers<'a>(&self, config: &'a Config) -> Vec<&'a PrinterProfile> {
        config.printers.iter().filter(|p| self.admits(p)).collect()
    }

    /// The URL prefix the target is served under (`""` for the farm).
    pub fn prefix(&self) -> String {
        if self.name.is_empty() {
            return String::new();
        }
        format!("/target/{}", super::escape_path(&self.name))
    }

    /// A one-copy job request with the target's requirements.
    pub(in crate::api) fn submission(&self) -> Submission {
        Submission {
            quantity: 1,
            material: self.material.clone(),
            colour: self.colour.clone(),
            tags: self.tag.iter().cloned().collect(),
            ..Submission::default()
        }
    }
}

impl FromRequestParts<AppState> for Target {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = <Path<HashMap<String, String>> as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("target", e.body_text()))?;
        let Some(name) = params.and_then(|Path(mut p)| p.remove("target")) else {
            return Ok(Target::default());
        };
        Target::parse(&name, &state.config).ok_or_else(|| {
            ApiError::not_found(
                "target",
                format!(
                    "no printer matches target {name:?}: use <material>, \
                     <material>-<colour> or tag:<tag> from printers.toml"
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Target;
    use crate::config::Config;

    fn demo() -> Config {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/printers.toml");
        Config::load(std::path::Path::new(path)).expect("demo config")
    }

    /// Material (empty: none), colour and tag a name maps to.
    type Wants = (&'static str, Option<&'static str>, Option<&'static str>);

    #[test]
    fn names_map_to_requirements_and_printers() {
        let config = demo();
        let cases: [(&str, Option<Wants>, &[&str]); 6] = [
            ("petg", Some(("PETG", None, None)), &["mk3s-petg"]),
            (
                "PETG-Orange",
                Some(("PETG", Some("orange"), None)),
                &["mk3s-petg"],
            ),
            ("pla-white", Some(("PLA", Some("white"), None)), &["big-1"]),
            ("tag:large", Some(("", None, Some("large"))), &["big-1"]),
            ("abs", None, &[]),
            ("tag:none", None, &[]),
        ];
        for (name, expected, printers) in cases {
            let target = Target::parse(name, &config);
            let Some((material, colour, tag)) = expected else {
                assert_eq!(target, None, "{name}");
                continue;
            };
            let target = target.expect(name);
            let material = (!material.is_empty()).then(|| material.to_owned());
            assert_eq!(target.material, material, "{name}");
            assert_eq!(target.colour.as_deref(), colour, "{name}");
            assert_eq!(target.tag.as_deref(), tag, "{name}");
            let names: Vec<&str> = target
                .printers(&config)
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            assert_eq!(names, printers, "{name}");
        }
        assert_eq!(Target::default().printers(&config).len(), 4);
    }
}
