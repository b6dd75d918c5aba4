//! Writing a file so that it appears complete or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::ExportError;

/// Writes `bytes` to `path` through a temporary file in the same folder
/// that is renamed over `path` once complete. An interrupted export leaves
/// at most a `.*.partial` file, never a truncated file under the final name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let failed = |source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let (temp_path, mut file) = create_temp(&folder, &name).map_err(failed)?;
    let mut guard = RemoveOnDrop(Some(temp_path.clone()));
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    drop(file);
    std::fs::rename(&temp_path, path).map_err(failed)?;
    guard.0 = None;
    tracing::debug!(path = %path.display(), bytes = bytes.len(), "wrote export file");
    Ok(())
}

fn create_temp(folder: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let pid = std::process::id();
    let mut attempt = 0u32;
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = folder.join(format!(".{name}.{pid}.{nanos:x}.partial"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Deletes the temporary file if the write did not finish.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("台账.csv");
        std::fs::write(&path, "old").unwrap();

        write_atomically(&path, b"new").unwrap();

        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_missing_folder_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("x.pdf");
        let error = write_atomically(&path, b"x").unwrap_err().to_string();
        assert!(error.contains("no-such-folder"), "{error}");
    }
}
