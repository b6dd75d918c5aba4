//! Project tasks that need more than cargo: installing system packages and
//! the speech model, running the demo, and running every check CI runs.
//!
//! `cargo xtask demo` runs the main job; `cargo xtask test` runs all tests.
//! Both are idempotent and safe to re-run: downloads are cached outside the
//! repository (in `$XDG_CACHE_HOME/voice-ledger`, default `~/.cache/voice-ledger`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Debian/Ubuntu packages the build and the tests need.
const APT_PACKAGES: &[&str] = &[
    "cmake",
    "clang",
    "libclang-dev",
    "pkg-config",
    "libasound2-dev",
    // Capture tests: a private sound server with a null sink and its player.
    "pulseaudio",
    "pulseaudio-utils",
    "poppler-utils",
    "fonts-noto-cjk",
    // A TrueType Chinese font collection, like Windows' 宋体, for the PDF tests.
    "fonts-wqy-microhei",
];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("demo") => setup().and_then(|()| demo()),
        Some("test") => setup().and_then(|()| test()),
        _ => {
            eprintln!("usage: cargo xtask setup|demo|test");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The download cache shared by every run on this machine.
fn cache_dir() -> PathBuf {
    let base = env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache")
        });
    base.join("voice-ledger")
}

/// The data folder that holds the installed model for tests and the demo.
fn model_home() -> PathBuf {
    cache_dir().join("model-home")
}

fn run(command: &mut Command) -> Result {
    eprintln!("+ {command:?}");
    let status = command
        .status()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}

fn cargo() -> Command {
    let mut command = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

/// Installs missing system packages and the speech model.
fn setup() -> Result {
    install_packages()?;
    install_model()
}

fn install_packages() -> Result {
    if !Path::new("/usr/bin/apt-get").exists() {
        eprintln!(
            "not a Debian/Ubuntu system: install {} by hand",
            APT_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend_from_slice(args);
        let mut command = Command::new(all[0]);
        command
            .args(&all[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run(&mut apt(&["apt-get", "update", "-qq"]))?;
    let mut install = apt(&["apt-get", "install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs the multilingual base model into the shared model home, once.
fn install_model() -> Result {
    let home = model_home();
    let model = home.join("models").join("ggml-base.bin");
    if model.exists() {
        return Ok(());
    }
    run(cargo()
        .args([
            "run",
            "--release",
            "--quiet",
            "--bin",
            "voice-ledger",
            "--",
            "--data-dir",
        ])
        .arg(&home)
        .args(["model", "install", "base"])
        .env("VOICE_LEDGER_CACHE", cache_dir()))
}

/// Where tests find the installed model.
fn test_model() -> PathBuf {
    model_home().join("models").join("ggml-base.bin")
}

fn test() -> Result {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    let postgres = start_postgres()?;
    let mut tests = cargo();
    tests
        .args(["test", "--workspace", "--release"])
        .env("VOICE_LEDGER_TEST_MODEL", test_model())
        // Data folders made by tests are encrypted with a known passphrase
        // and never reach the developer's credential store.
        .env("VOICE_LEDGER_PASSPHRASE", "测试口令 test passphrase")
        .env("VOICE_LEDGER_NO_KEYRING", "1")
        .envs(postgres.iter().map(|(k, v)| (k, v)));
    let result = run(&mut tests);
    if let Some((_, stop)) = postgres.iter().find(|(k, _)| k.ends_with("_STOP")) {
        let _ = Command::new("sh").arg("-c").arg(stop).status();
    }
    result
}

/// Starts a private PostgreSQL server for the hub's PostgreSQL tests and
/// returns the variables that tell the tests where it is and how to stop it.
fn start_postgres() -> Result<Vec<(String, String)>> {
    let script = root()
        .join("tests")
        .join("support")
        .join("start-postgres.sh");
    eprintln!("+ bash {}", script.display());
    let output = Command::new("bash")
        .arg(&script)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed with {}",
            script.display(),
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
        .map(|(name, value)| {
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value);
            (name.to_string(), value.to_string())
        })
        .collect())
}

/// The headless demo: dictates the bundled sample recordings into ledgers
/// and exports every ledger for the month.
fn demo() -> Result {
    let out = root().join("target").join("demo");
    let data = out.join("data");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let voice_ledger = |args: &[&str]| {
        let mut command = cargo();
        command
            .args([
                "run",
                "--release",
                "--quiet",
                "--bin",
                "voice-ledger",
                "--",
                "--data-dir",
            ])
            .arg(&data)
            .args(args);
        // The demo folder is encrypted like any other; without a credential
        // store (a headless machine) it uses a throwaway passphrase.
        if std::env::var_os("VOICE_LEDGER_PASSPHRASE").is_none() {
            command.env("VOICE_LEDGER_PASSPHRASE", "demo");
        }
        command
    };
    let fixtures = root().join("tests").join("fixtures");
    run(
        voice_ledger(&["residents", "import"]).arg(fixtures.join("registry").join("residents.csv"))
    )?;
    run(voice_ledger(&["model", "import"]).arg(test_model()))?;
    run(&mut voice_ledger(&["templates", "list"]))?;

    // Dictate a few bundled recordings as a staff member would after a
    // morning of visits; each becomes a draft in every ledger it feeds.
    let speech = fixtures.join("speech").join("dictation");
    for (id, record_type) in DEMO_DICTATIONS {
        let audio = speech.join(format!("{id}.wav"));
        run(voice_ledger(&["dictate"])
            .arg(&audio)
            .args(["--record-type", record_type, "--date", DEMO_DAY, "--save"])
            .args(["--author", "李敏", "--committee", "彭浦新村第一居委会"]))?;
    }
    run(&mut voice_ledger(&["records", "list"]))?;

    // The same rows as paper and as electronic ledgers.
    let ledgers = out.join("ledgers");
    let month = &DEMO_DAY[..7];
    for format in ["pdf", "xlsx"] {
        run(
            voice_ledger(&["export", "--all", "--period", month, "--format", format])
                .args(["--sub-district", "彭浦新村街道"])
                .arg("-o")
                .arg(&ledgers),
        )?;
    }
    eprintln!("\ndemo data folder: {}", data.display());
    eprintln!("demo ledgers (PDF, XLSX): {}", ledgers.display());
    Ok(())
}

/// The day the demo's recordings were made.
const DEMO_DAY: &str = "2026-12-01";

/// Bundled recordings the demo dictates, with their record types.
const DEMO_DICTATIONS: &[(&str, &str)] = &[
    ("hv01", "home-visit"),
    ("hv02", "home-visit"),
    ("hv06", "home-visit"),
    ("hv10", "home-visit"),
    ("meeting01", "meeting"),
];
