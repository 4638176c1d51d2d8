//! `nexus init`: creates `.nexus/` with the default config, the four agents
//! and a `.gitignore`; never clobbers a changed file without `--force`.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::cli::InitArgs;
use crate::context::Ctx;
use crate::state::agent::DEFAULT_AGENTS;
use crate::state::config::DEFAULT_CONFIG_TOML;
use crate::state::fs;
use crate::state::store::{DIR_NAME, Store};
use crate::ui::Tone;

/// The `.gitignore` `init` writes: machine-local state stays out of git.
pub const GITIGNORE: &str = include_str!("../../.nexus-example/.gitignore");

/// What happened to each default file.
#[derive(Debug, Default, Serialize)]
struct Report {
    schema: u32,
    dir: PathBuf,
    created: Vec<String>,
    restored: Vec<String>,
    unchanged: Vec<String>,
    kept: Vec<String>,
}

/// Returns every file `init` writes, relative to `.nexus`, with its text.
pub fn default_files() -> Vec<(String, &'static str)> {
    let mut files = vec![
        ("config.toml".to_string(), DEFAULT_CONFIG_TOML),
        (".gitignore".to_string(), GITIGNORE),
    ];
    for (id, text) in DEFAULT_AGENTS {
        files.push((format!("agents/{id}.toml"), *text));
    }
    files
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &InitArgs) -> Result<u8> {
    let root = ctx
        .dir_flag
        .clone()
        .unwrap_or_else(|| ctx.cwd.join(DIR_NAME));
    if !root.exists() {
        let outer = root
            .parent()
            .and_then(|parent| parent.parent())
            .and_then(Store::find);
        if let Some(outer) = outer {
            ctx.ui.warn(&format!(
                "a `.nexus` already exists above, at `{}`; creating a separate one at `{}`",
                outer.display(),
                root.display()
            ));
        }
    }
    let store = Store::open(&root, ctx.lock_timeout())?;
    store.create_dirs()?;
    let mut report = Report {
        schema: 1,
        dir: std::path::absolute(&root).unwrap_or(root.clone()),
        ..Report::default()
    };
    for (relative, text) in default_files() {
        let path = root.join(&relative);
        match fs::read_optional(&path)? {
            None => {
                fs::write_atomic(&path, text.as_bytes())?;
                report.created.push(relative);
            }
            Some(existing) if existing == text => report.unchanged.push(relative),
            Some(_) if args.force => {
                fs::write_atomic(&path, text.as_bytes())?;
                report.restored.push(relative);
            }
            Some(_) => report.kept.push(relative),
        }
    }
    if ctx.ui.json {
        ctx.ui.json_out(&report)?;
        return Ok(crate::exit::OK);
    }
    let ui = &ctx.ui;
    let shown = report.dir.display();
    if report.created.len() == default_files().len() {
        ui.note(&format!(
            "{} `{shown}`",
            ui.paint_err("Initialised", Tone::Good)
        ));
        ui.note("  config.toml, agents/ (aria_coordinator, code_developer, alpha_test_creator, beta_test_validator), .gitignore");
        ui.note("next: nexus plan \"<what the team should do>\"");
        return Ok(crate::exit::OK);
    }
    for file in &report.created {
        ui.note(&format!("{} {file}", ui.paint_err("created ", Tone::Good)));
    }
    for file in &report.restored {
        ui.note(&format!(
            "{} {file} (defaults)",
            ui.paint_err("restored", Tone::Warn)
        ));
    }
    for file in &report.kept {
        ui.note(&format!(
            "{} {file} (changed; `--force` restores the default)",
            ui.paint_err("kept    ", Tone::Dim)
        ));
    }
    if report.created.is_empty() && report.restored.is_empty() {
        ui.note(&format!(
            "`{shown}` is already initialised; nothing changed"
        ));
    }
    Ok(crate::exit::OK)
}
