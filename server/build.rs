//! Every build embeds the web client (`server/src/http/web.rs`, rust-embed with `debug-embed`),
//! and is rebuilt when `client-web/dist` changes. For a release build, when `client-web/dist` has
//! no build yet, it is built here (`npm ci`, `npm run build`), so `cargo build --release --bin
//! kortvaeg` alone gives the whole product; a debug build embeds what the folder holds (scripts/test
//! builds the client first) and builds nothing. `KORTVAEG_SKIP_WEB_BUILD=1` skips the client build
//! (the binary then serves a page that says it is not built).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=KORTVAEG_SKIP_WEB_BUILD");
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("../client-web");
    let index = client.join("dist/index.html");
    // A rebuilt client is embedded again.
    println!("cargo:rerun-if-changed={}", client.join("dist").display());
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    if index.is_file() || std::env::var_os("KORTVAEG_SKIP_WEB_BUILD").is_some() {
        return;
    }
    if !client.join("package.json").is_file() {
        println!("cargo:warning=no client-web/ beside the server: the binary serves no web client");
        return;
    }
    let npm = |args: &[&str]| {
        let status = Command::new("npm")
            .args(args)
            .current_dir(&client)
            .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
            .status();
        match status {
            Ok(s) if s.success() => true,
            Ok(s) => {
                println!(
                    "cargo:warning=npm {} failed ({s}): the binary serves no web client",
                    args.join(" ")
                );
                false
            }
            Err(e) => {
                println!("cargo:warning=npm not found ({e}): the binary serves no web client; build client-web first");
                false
            }
        }
    };
    if !client.join("node_modules").is_dir() && !npm(&["ci", "--no-audit", "--no-fund"]) {
        return;
    }
    npm(&["run", "build"]);
}
