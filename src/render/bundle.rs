//! A template product's files as stored: the template, the files it
//! `include`s or `use`s, and its slicer profiles, in a directory named by
//! the SHA-256 of them all (so equal bundles are stored once and any change
//! is a new bundle).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The template's file name in a bundle.
pub const TEMPLATE: &str = "template.scad";

/// One slicer profile of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// `default`, or the printer tag it is for.
    pub name: String,
    /// The printer tag its units need (`None`: any printer).
    pub tag: Option<String>,
    /// SHA-256 of the profile.
    pub sha256: String,
}

impl Profile {
    /// Where the profile is in a bundle.
    pub fn path(&self, bundle: &Path) -> PathBuf {
        bundle.join("profiles").join(format!("{}.ini", self.name))
    }
}

/// What a bundle is made of, as received.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// The template's source.
    pub template: Vec<u8>,
    /// Files the template includes or uses: name and content.
    pub assets: Vec<(String, Vec<u8>)>,
    /// Slicer profiles: printer tag (`None`: any printer) and content.
    pub profiles: Vec<(Option<String>, Vec<u8>)>,
}

/// A bundle written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its directory.
    pub dir: PathBuf,
    /// SHA-256 of everything in it.
    pub sha256: String,
    /// Its profiles.
    pub profiles: Vec<Profile>,
}

/// True for a file name an asset may have: letters, digits, `._-`, not
/// starting with a dot, at most 100 bytes (nothing that leaves the bundle).
pub fn is_asset_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name != TEMPLATE
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// True for a printer tag a profile may be named after.
pub fn is_tag_name(tag: &str) -> bool {
    is_asset_name(tag) && !tag.contains('.')
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `parts` under `root/<sha256>/`.
pub fn write(root: &Path, parts: &Parts) -> std::io::Result<Written> {
    let mut digest = Sha256::new();
    digest.update(format!("template\0{}\n", hex(&parts.template)));
    let mut assets: Vec<&(String, Vec<u8>)> = parts.assets.iter().collect();
    assets.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, content) in &assets {
        digest.update(format!("asset\0{name}\0{}\n", hex(content)));
    }
    let mut profiles: Vec<Profile> = parts
        .profiles
        .iter()
        .map(|(tag, content)| Profile {
            name: tag.clone().unwrap_or_else(|| "default".to_owned()),
            tag: tag.clone(),
            sha256: hex(content),
        })
        .collect();
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    for p in &profiles {
        digest.update(format!("profile\0{}\0{}\n", p.name, p.sha256));
    }
    let sha256 = hex::encode(digest.finalize());
    let dir = root.join(&sha256);
    std::fs::create_dir_all(dir.join("profiles"))?;
    std::fs::write(dir.join(TEMPLATE), &parts.template)?;
    if !assets.is_empty() {
        std::fs::create_dir_all(dir.join("assets"))?;
    }
    for (name, content) in &assets {
        std::fs::write(dir.join("assets").join(name), content)?;
    }
    for (tag, content) in &parts.profiles {
        let name = tag.clone().unwrap_or_else(|| "default".to_owned());
        std::fs::write(dir.join("profiles").join(format!("{name}.ini")), content)?;
    }
    Ok(Written {
        dir,
        sha256,
        profiles,
    })
}

/// Copies the template and its assets into a render's work directory.
pub fn copy_into(bundle: &Path, work: &Path) -> std::io::Result<()> {
    std::fs::copy(bundle.join(TEMPLATE), work.join(super::scad::TEMPLATE_FILE))?;
    let assets = bundle.join("assets");
    if assets.is_dir() {
        for entry in std::fs::read_dir(assets)? {
            let entry = entry?;
            std::fs::copy(entry.path(), work.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// The profile a unit renders with: the first whose tag some printer has
/// (or that needs none).
pub fn choose<'a>(profiles: &'a [Profile], printer_tags: &[Vec<String>]) -> Option<&'a Profile> {
    profiles.iter().find(|p| match &p.tag {
        None => true,
        Some(tag) => printer_tags.iter().any(|tags| tags.contains(tag)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bundles_share_a_directory_and_any_change_is_a_new_one() {
        let root = tempfile::tempdir().unwrap();
        let parts = Parts {
            template: b"cube(1);".to_vec(),
            assets: vec![("lib.scad".into(), b"x = 1;".to_vec())],
            profiles: vec![(None, b"layer_height = 0.2".to_vec())],
        };
        let a = write(root.path(), &parts).unwrap();
        let b = write(root.path(), &parts).unwrap();
        assert_eq!(a, b);
        assert!(a.dir.join("assets/lib.scad").exists());
        assert!(a.profiles[0].path(&a.dir).exists());
        let mut changed = parts.clone();
        changed.profiles[0].1 = b"layer_height = 0.3".to_vec();
        assert_ne!(write(root.path(), &changed).unwrap().sha256, a.sha256);
    }

    #[test]
    fn asset_names_stay_in_the_bundle() {
        for good in ["lib.scad", "font_helper-2.scad", "logo.dxf"] {
            assert!(is_asset_name(good), "{good}");
        }
        for bad in [
            "",
            "../x.scad",
            "a/b.scad",
            ".hidden",
            "template.scad",
            "x y",
        ] {
            assert!(!is_asset_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_unit_takes_the_first_profile_some_printer_can_use() {
        let profile = |tag: Option<&str>| Profile {
            name: tag.unwrap_or("default").to_owned(),
            tag: tag.map(str::to_owned),
            sha256: String::new(),
        };
        let profiles = [profile(Some("large")), profile(Some("mk3s")), profile(None)];
        let tags = [vec!["mk3s".to_owned()]];
        assert_eq!(
            choose(&profiles, &tags).map(|p| p.name.as_str()),
            Some("mk3s")
        );
        assert_eq!(choose(&profiles[..2], &[vec![]]), None);
    }
}
