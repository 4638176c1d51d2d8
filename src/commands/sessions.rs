//! `nexus sessions list|show|check|gc`: session records, checked without
//! spending tokens (the CLI's transcript file exists or not).

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::agents::sessions::{self, Listed};
use crate::cli::{GcArgs, SessionsCommand, SessionsTestArgs};
use crate::context::Ctx;
use crate::state::fs;
use crate::state::store::Store;
use crate::time::short_duration;
use crate::ui::{Tone, Ui, table};

#[derive(Serialize)]
struct Trimmed {
    agent_id: String,
    dropped: usize,
    max_conversations: u32,
}

/// Drops the oldest memory entries of each agent beyond its `[memory]
/// max_conversations` (under the memory lock). Only `gc` trims: during a
/// run memory is append-only (an exported workflow ships appended bytes).
fn trim_memory(
    store: &Store,
    agents: &[crate::state::agent::Agent],
    dry_run: bool,
) -> Result<Vec<Trimmed>> {
    let mut trimmed = Vec::new();
    for agent in agents {
        let path = store.memory_path(&agent.id);
        if !path.exists() {
            continue;
        }
        let keep = usize::try_from(agent.memory.max_conversations).unwrap_or(usize::MAX);
        let _guard = store.lock_memory(&agent.id)?;
        let dropped = crate::state::memory::trim(&path, keep, dry_run)?;
        if dropped > 0 {
            trimmed.push(Trimmed {
                agent_id: agent.id.clone(),
                dropped,
                max_conversations: agent.memory.max_conversations,
            });
        }
    }
    Ok(trimmed)
}

#[derive(Serialize)]
struct Removed {
    path: String,
    agent_id: String,
    instance: u32,
    session_id: String,
    reason: String,
}

/// Runs the command.
pub fn run(ctx: &Ctx, command: &SessionsCommand) -> Result<u8> {
    let store = ctx.store()?;
    let config = store.load_config()?;
    let ttl = config.sessions.ttl.0;
    let runtime = crate::agents::runtime::Runtime::new(ctx, store.clone(), config);
    let (listed, problems) = sessions::list(&runtime)?;
    let ui = &ctx.ui;
    for problem in &problems {
        ui.warn(problem);
    }
    match command {
        SessionsCommand::List => print_list(ui, &listed)?,
        SessionsCommand::Show(args) => {
            let agent = store.load_agent(&args.agent)?;
            let mine: Vec<&Listed> = listed
                .iter()
                .filter(|item| item.record.agent_id == agent.id)
                .collect();
            if ui.json {
                ui.json_out(&mine)?;
            } else if mine.is_empty() {
                ui.note(&format!(
                    "agent `{}` has no session yet; `nexus ask {} \"…\"` starts one",
                    agent.id, agent.id
                ));
            } else {
                for item in mine {
                    print_one(ui, item)?;
                }
            }
        }
        SessionsCommand::Check => {
            print_list(ui, &listed)?;
            let invalid = listed
                .iter()
                .filter(|item| !item.validity.is_valid())
                .count();
            if !ui.json {
                ui.note(&format!(
                    "{} session(s): {} valid, {invalid} not resumable (they will be recovered with a recap on next use)",
                    listed.len(),
                    listed.len() - invalid
                ));
            }
        }
        SessionsCommand::Gc(args) => return gc(ctx, &store, &listed, args, ttl),
        SessionsCommand::Test(args) => return test(ctx, &runtime, args),
    }
    Ok(crate::exit::OK)
}

fn print_list(ui: &Ui, listed: &[Listed]) -> Result<()> {
    if ui.json {
        return ui.json_out(&listed);
    }
    if listed.is_empty() {
        ui.note("no sessions yet");
        return Ok(());
    }
    let mut rows = vec![
        [
            "AGENT", "INST", "SESSION", "AGE", "IDLE", "TURNS", "COST", "STATE",
        ]
        .map(|head| ui.paint(head, Tone::Dim))
        .to_vec(),
    ];
    for item in listed {
        let state = if item.in_use {
            ui.paint("in use", Tone::Warn)
        } else if item.validity.is_valid() {
            ui.paint("valid", Tone::Good)
        } else {
            ui.paint(&format!("invalid: {}", item.validity.describe()), Tone::Bad)
        };
        rows.push(vec![
            ui.paint(&item.record.agent_id, Tone::Accent),
            item.record.instance.to_string(),
            item.record.session_id.clone(),
            short_duration(std::time::Duration::from_secs(item.age_seconds)),
            short_duration(std::time::Duration::from_secs(item.idle_seconds)),
            item.record.turns.to_string(),
            crate::state::usage::cost_text(item.record.cost_usd, item.record.unpriced_turns),
            state,
        ]);
    }
    ui.out(&table(&rows))
}

fn print_one(ui: &Ui, item: &Listed) -> Result<()> {
    let record = &item.record;
    let field = |name: &str, value: String| format!("{:<16}{value}\n", ui.paint(name, Tone::Bold));
    let mut text = String::new();
    text.push_str(&field(
        "agent",
        format!("{} (instance {})", record.agent_id, record.instance),
    ));
    text.push_str(&field("session", record.session_id.clone()));
    text.push_str(&field(
        "state",
        if item.validity.is_valid() {
            "valid".into()
        } else {
            item.validity.describe()
        },
    ));
    text.push_str(&field(
        "in use",
        if item.in_use {
            "yes".into()
        } else {
            "no".into()
        },
    ));
    text.push_str(&field("directory", record.cwd.clone()));
    text.push_str(&field("host", record.host.clone()));
    text.push_str(&field("created", record.created_at.to_string()));
    text.push_str(&field("last used", record.last_used_at.to_string()));
    text.push_str(&field("turns", record.turns.to_string()));
    text.push_str(&field(
        "cost",
        crate::state::usage::cost_text(record.cost_usd, record.unpriced_turns),
    ));
    text.push_str(&field(
        "tokens",
        format!("{} in, {} out", record.input_tokens, record.output_tokens),
    ));
    text.push_str(&field(
        "cli version",
        record.cli_version.clone().unwrap_or_else(|| "-".into()),
    ));
    if let Some(from) = &record.recovered_from {
        text.push_str(&field(
            "recovered from",
            format!(
                "{from} ({})",
                record.recovery_reason.clone().unwrap_or_default()
            ),
        ));
    }
    if let Some(call) = &record.last_call {
        text.push_str(&field(
            "last call",
            format!(
                "{} at {} ({} ms)",
                call.outcome, call.started_at, call.duration_ms
            ),
        ));
        text.push_str(&field("argv", call.argv.join(" ")));
    }
    text.push('\n');
    ui.out(&text)
}

fn gc(
    ctx: &Ctx,
    store: &Store,
    listed: &[Listed],
    args: &GcArgs,
    ttl: std::time::Duration,
) -> Result<u8> {
    let loaded: Vec<crate::state::agent::Agent> = store
        .agent_ids()?
        .into_iter()
        .filter_map(|id| crate::state::agent::Agent::load(&store.agent_path(&id)).ok())
        .collect();
    let agents: BTreeMap<String, u32> = loaded
        .iter()
        .map(|agent| (agent.id.clone(), agent.instances))
        .collect();
    let trimmed = trim_memory(store, &loaded, args.dry_run)?;
    let idle_limit = args.older_than.map_or(ttl, |duration| duration.0);
    let mut removed = Vec::new();
    let mut skipped_in_use = 0;
    for item in listed {
        if item.in_use {
            skipped_in_use += 1;
            continue;
        }
        let Some(reason) = sessions::gc_reason(item, &agents, idle_limit) else {
            continue;
        };
        if !args.dry_run {
            // Re-check under the session lock: a turn may have started since.
            let lock_path = store.session_lock(&item.record.agent_id, item.record.instance);
            let holder = crate::state::lock::Holder::current(ctx.now());
            match crate::state::lock::try_exclusive(&lock_path, "session", &holder) {
                Ok(_guard) => {
                    fs::remove_file(&item.path)?;
                }
                Err(_) => {
                    skipped_in_use += 1;
                    continue;
                }
            }
        }
        removed.push(Removed {
            path: item.path.display().to_string(),
            agent_id: item.record.agent_id.clone(),
            instance: item.record.instance,
            session_id: item.record.session_id.clone(),
            reason,
        });
    }
    let ui = &ctx.ui;
    if ui.json {
        ui.json_out(&serde_json::json!({
            "schema": 1,
            "dry_run": args.dry_run,
            "removed": removed,
            "skipped_in_use": skipped_in_use,
            "memory_trimmed": trimmed,
        }))?;
    } else {
        let verb = if args.dry_run {
            "would remove"
        } else {
            "removed"
        };
        let mut text = String::new();
        for item in &removed {
            text.push_str(&format!(
                "{verb} {} ({}): {}\n",
                item.path, item.session_id, item.reason
            ));
        }
        for item in &trimmed {
            text.push_str(&format!(
                "{} {} oldest memory entr{} of `{}` (it keeps {})\n",
                if args.dry_run {
                    "would drop"
                } else {
                    "dropped"
                },
                item.dropped,
                if item.dropped == 1 { "y" } else { "ies" },
                item.agent_id,
                item.max_conversations
            ));
        }
        ui.out(&text)?;
        ui.note(&format!(
            "{} {} session record(s){}",
            verb,
            removed.len(),
            if skipped_in_use > 0 {
                format!(", {skipped_in_use} in use left alone")
            } else {
                String::new()
            }
        ));
    }
    Ok(crate::exit::OK)
}

/// `nexus sessions test`: says what it will do and cost, asks, then tests
/// each agent's session in turn (`crate::agents::session_test`).
fn test(
    ctx: &Ctx,
    runtime: &crate::agents::runtime::Runtime,
    args: &SessionsTestArgs,
) -> Result<u8> {
    use crate::agents::session_test;
    use crate::exit::{Kind, tagged, tagged_hint};
    let store = &runtime.store;
    let agents = if args.agents.is_empty() {
        store.load_agents()?
    } else {
        args.agents
            .iter()
            .map(|agent| store.load_agent(agent))
            .collect::<Result<Vec<_>>>()?
    };
    let (planned, estimate) = session_test::plan(runtime, &agents)?;
    let turns: u32 = planned.iter().map(|item| item.turns).sum();
    let ui = &ctx.ui;
    let cost = match estimate {
        Some(cost) => format!("about ${cost:.4} (from earlier turns)"),
        None => "cost unknown (no earlier turns to go by)".to_string(),
    };
    let summary = format!(
        "session test of {} agent{}: {turns} short turn{}, {cost}",
        agents.len(),
        if agents.len() == 1 { "" } else { "s" },
        if turns == 1 { "" } else { "s" }
    );
    ui.note(&summary);
    if !args.yes {
        match ui.confirm("start it?")? {
            Some(true) => {}
            Some(false) => {
                ui.note("nothing was run");
                return Ok(crate::exit::OK);
            }
            None => {
                return Err(tagged_hint(
                    Kind::Usage,
                    format!("the session test spends tokens ({summary}) and needs a confirmation"),
                    "pass `--yes` (in scripts), or run it in a terminal to be asked",
                ));
            }
        }
    }
    let results = crate::proc::block_on(async {
        let (stop, _sender) = crate::proc::signals::install()
            .map_err(|error| anyhow::anyhow!("failed to install signal handlers: {error}"))?;
        let mut results = Vec::new();
        for agent in &agents {
            results.push(session_test::test(runtime, agent, stop.clone()).await?);
        }
        Ok::<_, anyhow::Error>(results)
    })??;
    let passed = results.iter().all(session_test::Tested::passed);
    let spent: f64 = results.iter().map(|tested| tested.cost_usd).sum();
    let spent_turns: u32 = results.iter().map(|tested| tested.turns).sum();
    if ui.json {
        ui.json_out(&serde_json::json!({
            "schema": 1,
            "estimated_cost_usd": estimate,
            "agents": results,
            "turns": spent_turns,
            "cost_usd": spent,
            "passed": passed,
        }))?;
    } else {
        let mut text = String::new();
        for tested in &results {
            for (index, step) in tested.steps.iter().enumerate() {
                let mark = if step.passed {
                    ui.paint("ok  ", Tone::Good)
                } else {
                    ui.paint("FAIL", Tone::Bad)
                };
                let name = if index == 0 {
                    ui.paint(&tested.agent, Tone::Accent)
                } else {
                    String::new()
                };
                let pad = 21usize.saturating_sub(if index == 0 { tested.agent.len() } else { 0 });
                text.push_str(&format!(
                    "{name}{:pad$}{mark}  {:<16} {}\n",
                    "",
                    step.step.replace('_', " "),
                    step.detail
                ));
            }
        }
        text.push_str(&format!(
            "{} · {spent_turns} turn{} · ${spent:.4}\n",
            if passed && results.len() == 1 {
                "the agent has a resumable session".to_string()
            } else if passed {
                format!("all {} agents have resumable sessions", results.len())
            } else {
                let failed: Vec<&str> = results
                    .iter()
                    .filter(|tested| !tested.passed())
                    .map(|tested| tested.agent.as_str())
                    .collect();
                format!("failed for {}", failed.join(", "))
            },
            if spent_turns == 1 { "" } else { "s" }
        ));
        ui.out(&text)?;
    }
    if passed {
        Ok(crate::exit::OK)
    } else {
        Err(tagged(
            Kind::TasksFailed,
            "the session test failed for some agents (see above)",
        ))
    }
}
