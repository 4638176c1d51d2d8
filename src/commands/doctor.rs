//! `nexus doctor`: checks the installation without spending tokens — the
//! `.nexus` found and every file in it valid, the executable and version of
//! every agent backend in use with the agents that use it and the backend's
//! own advice (Codex's key or login, Gemini's auth type and trusted folder),
//! the brain's API key variable (set or not; never its value).

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::agents::backend::{Backend, Level};
use crate::agents::binary;
use crate::cli::DoctorArgs;
use crate::context::Ctx;
use crate::state::config::{Config, PlannerKind};
use crate::state::fs;
use crate::state::store::Store;
use crate::state::task::TaskRecord;
use crate::ui::Tone;

/// One check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Fine, and worth knowing (a setting that is accepted and ignored).
    Note,
    /// Works, but worth knowing.
    Warn,
    /// Something needed is missing or broken.
    Fail,
}

/// One check.
#[derive(Debug, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn check(name: &str, verdict: Verdict, detail: impl Into<String>) -> Check {
    Check {
        name: name.to_string(),
        verdict,
        detail: detail.into(),
        hint: None,
    }
}

/// Runs every check.
pub fn checks(ctx: &Ctx) -> Vec<Check> {
    let mut checks = Vec::new();
    let store = match ctx.store() {
        Ok(store) => store,
        Err(error) => {
            let mut failed = check(".nexus", Verdict::Fail, format!("{error:#}"));
            failed.hint = crate::exit::hint_for(&error);
            checks.push(failed);
            return checks;
        }
    };
    checks.push(check(
        ".nexus",
        Verdict::Ok,
        store.root().display().to_string(),
    ));
    let config = match store.load_config() {
        Ok(config) => {
            checks.push(check(
                "config",
                Verdict::Ok,
                store.config_path().display().to_string(),
            ));
            Some(config)
        }
        Err(error) => {
            checks.push(check("config", Verdict::Fail, format!("{error:#}")));
            None
        }
    };
    checks.push(files_check(&store));
    checks.push(litter_check(&store));
    checks.push(trust_check(ctx, &store));
    if let Some(config) = config {
        checks.extend(backend_checks(ctx, &store, &config));
        checks.extend(ignored_check(&store, &config));
        checks.push(key_check(ctx, &config));
    }
    checks
}

/// Lists the committed commands this machine has not trusted yet.
fn trust_check(ctx: &Ctx, store: &Store) -> Check {
    let trust = match crate::state::trust::Trust::load(ctx.env(), store) {
        Ok(trust) => trust,
        Err(error) => return check("trust", Verdict::Fail, format!("{error:#}")),
    };
    let committed = match crate::state::trust::committed(store) {
        Ok(committed) => committed,
        Err(error) => return check("trust", Verdict::Fail, format!("{error:#}")),
    };
    let untrusted: Vec<String> = committed
        .iter()
        .filter(|item| !trust.is_trusted(&item.command))
        .map(|item| format!("`{}` ({})", item.command, item.source))
        .collect();
    if untrusted.is_empty() {
        return check(
            "trust",
            Verdict::Ok,
            format!("{} committed command(s), all trusted", committed.len()),
        );
    }
    let mut warned = check(
        "trust",
        Verdict::Warn,
        format!(
            "{} command(s) not trusted yet:\n{}",
            untrusted.len(),
            untrusted.join("\n")
        ),
    );
    warned.hint = Some("read them, then `nexus trust` allows them".to_string());
    warned
}

/// Lists what killed writers left (temp files, staging directories).
fn litter_check(store: &Store) -> Check {
    let found = crate::state::litter::find(store.root());
    if found.is_empty() {
        return check("litter", Verdict::Ok, "no leftovers of killed writers");
    }
    let mut warned = check(
        "litter",
        Verdict::Warn,
        format!(
            "{} leftover(s) of killed writers:\n{}",
            found.len(),
            found
                .iter()
                .map(|path| format!("`{}`", path.display()))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    );
    warned.hint = Some(
        "`nexus run` removes them from the directories it writes; they are safe to delete"
            .to_string(),
    );
    warned
}

fn files_check(store: &Store) -> Check {
    let mut problems = Vec::new();
    let mut counted = 0usize;
    match store.load_agents() {
        Ok(agents) if agents.is_empty() => problems.push("no agents under `agents/`".to_string()),
        Ok(agents) => counted += agents.len(),
        Err(error) => problems.push(format!("{error:#}")),
    }
    let plan_ids = store.plan_ids().unwrap_or_default();
    for plan_id in &plan_ids {
        match store.load_plan(plan_id) {
            Ok(plan) => {
                counted += 1;
                if let Err(error) = store.check_plan_agents(&plan) {
                    problems.push(format!("{error:#}"));
                }
                for name in fs::list_dir(&store.plan_dir(plan_id).join("tasks")).unwrap_or_default()
                {
                    let path = store.plan_dir(plan_id).join("tasks").join(&name);
                    match fs::read_json::<TaskRecord>(&path) {
                        Ok(_) => counted += 1,
                        Err(error) => problems.push(format!("{error:#}")),
                    }
                }
            }
            Err(error) => problems.push(format!("{error:#}")),
        }
    }
    for thread in fs::list_dir(&store.messages_dir()).unwrap_or_default() {
        let dir = store.messages_dir().join(&thread);
        for name in fs::list_dir(&dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|name| name.ends_with(".json"))
        {
            match fs::read_json::<crate::state::message::Message>(&dir.join(&name)) {
                Ok(_) => counted += 1,
                Err(error) => problems.push(format!("{error:#}")),
            }
        }
    }
    for name in fs::list_dir(&store.sessions_dir())
        .unwrap_or_default()
        .into_iter()
        .filter(|name| name.ends_with(".json"))
    {
        match fs::read_json::<crate::state::session::SessionRecord>(
            &store.sessions_dir().join(&name),
        ) {
            Ok(_) => counted += 1,
            Err(error) => problems.push(format!("{error:#}")),
        }
    }
    let memory_dir = store.root().join("memory");
    for name in fs::list_dir(&memory_dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|name| name.ends_with(".jsonl"))
    {
        match crate::state::memory::read(&memory_dir.join(&name)) {
            Ok((_, bad)) if bad.is_empty() => counted += 1,
            Ok((_, bad)) => problems.extend(bad),
            Err(error) => problems.push(format!("{error:#}")),
        }
    }
    if problems.is_empty() {
        check(
            "files",
            Verdict::Ok,
            format!("{counted} files parse ({} plans)", plan_ids.len()),
        )
    } else {
        let mut failed = check("files", Verdict::Fail, problems.join("\n"));
        failed.hint = Some("fix or remove the files named; nothing was changed".to_string());
        failed
    }
}

/// Checks the executable and version of every backend in use (the
/// default and each agent's), naming the agents that use it, then asks
/// each backend for its own advice (e.g. Gemini's auth type and trusted
/// folder), read from the child's environment without writing anything.
fn backend_checks(ctx: &Ctx, store: &Store, config: &Config) -> Vec<Check> {
    let runtime = crate::agents::runtime::Runtime::new(ctx, store.clone(), config.clone());
    let agents = store.load_agents().unwrap_or_default();
    let mut names: Vec<&str> = vec![config.agent_backend.default.as_str()];
    for agent in &agents {
        let name = agent.backend_name(config);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut checks = Vec::new();
    for backend in names.into_iter().filter_map(crate::agents::backend_named) {
        let name = backend.name();
        let users: Vec<&crate::state::agent::Agent> = agents
            .iter()
            .filter(|agent| agent.backend_name(config) == name)
            .collect();
        let used_by = if users.is_empty() {
            "the default backend; no agent uses it".to_string()
        } else {
            format!(
                "agents: {}",
                users
                    .iter()
                    .map(|agent| agent.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        checks.push(binary_check(&runtime, backend, &used_by));
        if users.is_empty() {
            continue;
        }
        let env = match runtime.agent_env(backend, None) {
            Ok(env) => env,
            Err(error) => {
                checks.push(check(name, Verdict::Fail, format!("{error:#}")));
                continue;
            }
        };
        for advice in backend.doctor(config, &users, &env, &store.project_root()) {
            let verdict = match advice.level {
                Level::Ok => Verdict::Ok,
                Level::Warn => Verdict::Warn,
                Level::Fail => Verdict::Fail,
            };
            let mut item = check(&advice.name, verdict, advice.detail);
            item.hint = advice.hint;
            checks.push(item);
        }
    }
    checks
}

/// Checks one backend's executable and its `--version`.
fn binary_check(
    runtime: &crate::agents::runtime::Runtime,
    backend: &dyn Backend,
    used_by: &str,
) -> Check {
    let name = backend.name();
    let program = match runtime.program(backend, None) {
        Ok(program) => program,
        Err(error) => return check(name, Verdict::Fail, format!("{error:#}")),
    };
    if !binary::is_executable(&program) {
        let mut failed = check(
            name,
            Verdict::Fail,
            format!("`{}` not found on PATH ({used_by})", program.display()),
        );
        failed.hint = Some(backend.install_hint().to_string());
        return failed;
    }
    match binary::version(&program, Duration::from_secs(15)) {
        Ok(version) => check(
            name,
            Verdict::Ok,
            format!("{} ({version}); {used_by}", program.display()),
        ),
        Err(problem) => check(name, Verdict::Fail, format!("{problem} ({used_by})")),
    }
}

/// Lists the settings a backend accepts but cannot honour (the original
/// profiles' `temperature` for Claude Code), in the configuration and in
/// every agent file.
fn ignored_check(store: &Store, config: &Config) -> Option<Check> {
    let mut files = vec![(config.source.path.clone(), config.source.text.clone())];
    for agent in store.load_agents().unwrap_or_default() {
        files.push((agent.source.path.clone(), agent.source.text.clone()));
    }
    let mut lines = Vec::new();
    for (path, text) in &files {
        for backend in crate::agents::BACKENDS {
            for (key, why) in backend.ignored_keys(path, text) {
                let file = path
                    .strip_prefix(store.root())
                    .unwrap_or(path)
                    .display()
                    .to_string();
                lines.push(format!("`{key}` in `{file}`: {why}"));
            }
        }
    }
    (!lines.is_empty()).then(|| {
        check(
            "ignored",
            Verdict::Note,
            format!(
                "{} setting(s) accepted but not used:\n{}",
                lines.len(),
                lines.join("\n")
            ),
        )
    })
}

fn key_check(ctx: &Ctx, config: &Config) -> Check {
    let variable = &config.brain.api_key_env;
    let planner = ctx
        .var(crate::env_vars::NEXUS_PLANNER)
        .and_then(PlannerKind::parse)
        .unwrap_or(config.brain.planner);
    let set = ctx.var(variable).is_some();
    match (set, planner) {
        (true, _) => check(
            "api key",
            Verdict::Ok,
            format!("`{variable}` is set (planner `{}`)", planner.name()),
        ),
        (false, PlannerKind::Openai) => {
            let mut failed = check(
                "api key",
                Verdict::Fail,
                format!("`{variable}` is not set and the planner is `openai`"),
            );
            failed.hint = Some(format!(
                "export {variable}=… or set `[brain] api_key_env` in config.toml"
            ));
            failed
        }
        (false, planner) => check(
            "api key",
            Verdict::Warn,
            format!(
                "`{variable}` is not set; planner `{}` {}",
                planner.name(),
                if planner == PlannerKind::Auto {
                    "falls back to `builtin`"
                } else {
                    "does not need it"
                }
            ),
        ),
    }
}

/// Runs the command.
pub fn run(ctx: &Ctx, _args: &DoctorArgs) -> Result<u8> {
    let checks = checks(ctx);
    let failed = checks.iter().any(|check| check.verdict == Verdict::Fail);
    let ui = &ctx.ui;
    if ui.json {
        ui.json_out(&serde_json::json!({ "schema": 1, "ok": !failed, "checks": checks }))?;
    } else {
        let mut text = String::new();
        for check in &checks {
            let label = match check.verdict {
                Verdict::Ok => ui.paint("ok  ", Tone::Good),
                Verdict::Note => ui.paint("note", Tone::Accent),
                Verdict::Warn => ui.paint("warn", Tone::Warn),
                Verdict::Fail => ui.paint("FAIL", Tone::Bad),
            };
            let mut lines = check.detail.lines();
            text.push_str(&format!(
                "{label}  {:<9} {}\n",
                check.name,
                lines.next().unwrap_or("")
            ));
            for line in lines {
                text.push_str(&format!("{:17}{line}\n", ""));
            }
            if let Some(hint) = &check.hint {
                text.push_str(&format!(
                    "{:17}{} {hint}\n",
                    "",
                    ui.paint("hint:", Tone::Accent)
                ));
            }
        }
        ui.out(&text)?;
    }
    Ok(if failed {
        crate::exit::ERROR
    } else {
        crate::exit::OK
    })
}
