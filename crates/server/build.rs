//! Points the embedded UI (`src/ui.rs`) at `ui/dist` when the UI was built
//! (`npm ci && npm run build` in `ui/`), else at a placeholder page, so a plain
//! `cargo build` works without Node. npm is never run from here: builds stay
//! offline and fast.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let ui = manifest.join("../../ui");
    let dist = ui.join("dist");
    let index = dist.join("index.html");
    if index.is_file() {
        // Vite rewrites index.html (which names every hashed asset) on each build.
        println!("cargo:rerun-if-changed={}", index.display());
        println!("cargo:rustc-env=UI_DIST_DIR={}", absolute(&dist).display());
    } else {
        let out =
            PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("ui-placeholder");
        std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
        std::fs::write(out.join("index.html"), PLACEHOLDER).expect("OUT_DIR is writable");
        // Noticed when ui/dist appears (a directory is watched recursively).
        if ui.is_dir() {
            println!(
                "cargo:rerun-if-changed={}",
                ui.join("package.json").display()
            );
            println!("cargo:rerun-if-changed={}", ui.display());
        }
        println!("cargo:rustc-env=UI_DIST_DIR={}", out.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}

fn absolute(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stepwise</title>
<meta name="stepwise-ui-placeholder" content="1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Stepwise</h1>
<p>The API is up (<code>POST /</code>, AWS JSON 1.0), but this binary was built without the web UI.</p>
<p>Build it with <code>./scripts/run</code>, or with <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>
followed by <code>cargo build --release -p stepwise</code>.</p>
</body></html>
"#;
