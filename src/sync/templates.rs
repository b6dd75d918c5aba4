//! Templates flowing down from the hub: the approved record types and
//! ledgers are saved as `zz-hub-*.toml` files in the templates folder, where
//! the catalog picks them up (a retired ledger replaces the built-in one and
//! so leaves capture), and the list of published record type versions
//! decides what may be submitted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::SyncError;
use super::client::HubClient;
use super::outbox::{release_held, set_setting, setting};
use super::wire::{PublishedType, TemplateBundle};
use crate::ledger::Catalog;
use crate::paths::DataDir;
use crate::store::Store;

/// Prefix of the bundle's file names.
const HUB_PREFIX: &str = "hub-";

/// Prefix of the saved files. The catalog loads a folder's files in name
/// order and a later ledger with the same id wins, so the sub-district's
/// word (an approval, a retirement) must sort after the committee's own
/// files.
const LOCAL_PREFIX: &str = "zz-";

fn local_name(bundle_name: &str) -> String {
    format!("{LOCAL_PREFIX}{bundle_name}")
}

/// Whether a file in the templates folder came from the hub.
fn is_installed_hub_file(name: &str) -> bool {
    name.strip_prefix(LOCAL_PREFIX)
        .is_some_and(is_hub_file_name)
}

/// Fetches the hub's templates if they changed since the last pull and
/// installs them. Returns whether anything changed.
pub fn pull_templates(
    store: &Store,
    data: &DataDir,
    client: &HubClient,
) -> Result<bool, SyncError> {
    let conn = store.connection();
    let etag = setting(conn, "templates_etag")?;
    let Some(bundle) = client.templates(etag.as_deref())? else {
        tracing::debug!("templates unchanged at the hub");
        return Ok(false);
    };
    let installed = install(data, &bundle, client.base_url());

    // What the hub accepts is worth knowing even when its files cannot be
    // installed here; the ETag is kept only once they are, so that a
    // later pass tries again.
    let published = serde_json::to_string(&bundle.published).expect("published list serialises");
    let tx = conn.unchecked_transaction()?;
    set_setting(&tx, "published", Some(&published))?;
    if installed.is_ok() {
        set_setting(&tx, "templates_etag", Some(&bundle.etag))?;
    }
    let released = release_held(&tx)?;
    tx.commit()?;
    installed?;
    tracing::info!(
        files = bundle.files.len(),
        published = bundle.published.len(),
        released,
        "installed the hub's templates"
    );
    Ok(true)
}

/// The record type versions the hub has published, once templates were pulled.
pub(super) fn published_types(store: &Store) -> Result<Option<BTreeSet<PublishedType>>, SyncError> {
    let Some(text) = setting(store.connection(), "published")? else {
        return Ok(None);
    };
    let list: Vec<PublishedType> = serde_json::from_str(&text).unwrap_or_default();
    Ok(Some(list.into_iter().collect()))
}

/// Checks the bundle together with the user's own templates, then replaces
/// the `zz-hub-*.toml` files. Nothing is changed if the bundle does not load.
fn install(data: &DataDir, bundle: &TemplateBundle, hub: &str) -> Result<(), SyncError> {
    for file in &bundle.files {
        if !is_hub_file_name(&file.name) {
            return Err(SyncError::Protocol {
                url: hub.to_string(),
                problem: format!("template file name `{}` is not `hub-….toml`", file.name),
            });
        }
    }
    let dir = data.templates_dir();
    std::fs::create_dir_all(&dir).map_err(|source| SyncError::Io {
        path: dir.clone(),
        source,
    })?;

    let staging = data.root().join(".templates-incoming");
    let checked = stage_and_check(&dir, &staging, bundle);
    let _ = std::fs::remove_dir_all(&staging);
    checked?;

    let wanted: BTreeSet<String> = bundle.files.iter().map(|f| local_name(&f.name)).collect();
    for old in toml_files(&dir)? {
        let name = old.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if is_installed_hub_file(name) && !wanted.contains(name) {
            std::fs::remove_file(&old).map_err(|source| SyncError::Io { path: old, source })?;
        }
    }
    for file in &bundle.files {
        write_replacing(&dir.join(local_name(&file.name)), &file.toml)?;
    }
    Ok(())
}

/// Loads the user's non-hub templates plus the bundle from a scratch folder.
fn stage_and_check(dir: &Path, staging: &Path, bundle: &TemplateBundle) -> Result<(), SyncError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SyncError::Io { path, source }
    };
    let _ = std::fs::remove_dir_all(staging);
    std::fs::create_dir_all(staging).map_err(io(staging))?;
    for own in toml_files(dir)? {
        let name = own.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !is_installed_hub_file(name) {
            let target = staging.join(name);
            std::fs::copy(&own, &target).map_err(io(&target))?;
        }
    }
    for file in &bundle.files {
        let target = staging.join(local_name(&file.name));
        std::fs::write(&target, &file.toml).map_err(io(&target))?;
    }
    Catalog::load(staging)?;
    Ok(())
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, SyncError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SyncError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    Ok(entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect())
}

/// `hub-` + lower-case letters, digits, `-`, `_`, `.` + `.toml`: never a
/// path, so a hub cannot write outside the templates folder.
fn is_hub_file_name(name: &str) -> bool {
    name.strip_prefix(HUB_PREFIX)
        .and_then(|rest| rest.strip_suffix(".toml"))
        .is_some_and(|stem| {
            !stem.is_empty()
                && !stem.contains("..")
                && stem.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
                })
        })
}

fn write_replacing(path: &Path, text: &str) -> Result<(), SyncError> {
    let io = |source| SyncError::Io {
        path: path.to_path_buf(),
        source,
    };
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_hub_file_names_are_accepted() {
        for (name, ok) in [
            ("hub-ledger-bp-register.toml", true),
            ("hub-record-type-note-v2.toml", true),
            ("ledger-x.toml", false),
            ("hub-.toml", false),
            ("hub-../x.toml", false),
            ("hub-a/b.toml", false),
            ("hub-A.toml", false),
            ("hub-x.txt", false),
        ] {
            assert_eq!(is_hub_file_name(name), ok, "{name}");
        }
    }
}
