//! Builds the Tauri context. The app embeds the built front end
//! (`ui/dist`); when it has not been built yet (a plain `cargo build` or
//! `cargo clippy` on a fresh checkout) a one-page stand-in is written there
//! so the Rust side still compiles, and a warning says how to build the UI.

use std::path::Path;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    let index = dist.join("index.html");
    if !index.exists() {
        std::fs::create_dir_all(&dist).expect("cannot create ui/dist");
        std::fs::write(&index, STAND_IN).expect("cannot write ui/dist/index.html");
        println!(
            "cargo:warning=ui/dist was missing: the app shows a stand-in page. Build the front end \
             with `npm ci && npm run build` in ui/ (or `cargo xtask app`) and build again"
        );
    }
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    tauri_build::build();
}

const STAND_IN: &str = "<!doctype html><meta charset=\"utf-8\"><title>语音台账</title>\
<p style=\"font: 20px sans-serif; margin: 3em\">界面尚未构建：请在 ui/ 目录运行 npm ci 和 npm run build。<br>\
The front end is not built: run npm ci and npm run build in ui/.</p>";
