//! `nexus ask AGENT MESSAGE`: one turn with an agent's session (created,
//! resumed or recovered); the reply on stdout, `--json` the result message.

use std::io::Read;

use anyhow::{Context, Result};

use crate::agents::backend::Outcome;
use crate::agents::runtime::{Runtime, TurnOptions};
use crate::cli::AskArgs;
use crate::context::Ctx;
use crate::exit::{Kind, tagged, tagged_hint, with_hint};
use crate::proc::{self, signals};
use crate::state::fs;
use crate::state::message::Message;

/// Runs the command.
pub fn run(ctx: &Ctx, args: &AskArgs) -> Result<u8> {
    let store = ctx.store()?;
    let config = store.load_config()?;
    let agent = store.load_agent(&args.agent)?;
    if args.instance >= agent.instances {
        return Err(tagged_hint(
            Kind::Usage,
            format!(
                "agent `{}` has {} instance(s); there is no instance {}",
                agent.id, agent.instances, args.instance
            ),
            format!(
                "raise `instances` in `{}`",
                store.agent_path(&agent.id).display()
            ),
        ));
    }
    let message = if args.message == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("failed to read the message from stdin")?;
        text
    } else {
        args.message.clone()
    };
    if message.trim().is_empty() {
        return Err(tagged(Kind::Usage, "the message is empty"));
    }
    // In worktree mode the agent's session lives in its worktree (where
    // `run` made it): the turn runs there, so it resumes that session.
    let home = crate::workspace::agent_home(
        &store,
        &config.workspace,
        ctx.env(),
        &agent.id,
        args.instance,
    );
    let runtime = Runtime::new(ctx, store.clone(), config);
    let options = TurnOptions {
        isolated: home.is_some(),
        cwd: home.clone(),
        new_session: args.new_session,
        thread: format!("ask-{}", agent.id),
        priority: "medium".to_string(),
        log_path: Some(
            store
                .logs_dir()
                .join("ask")
                .join(format!("{}.log", agent.id)),
        ),
        ..TurnOptions::default()
    };
    let report = proc::block_on(async {
        let (stop, _sender) = signals::install().context("failed to install signal handlers")?;
        runtime
            .send(&agent, args.instance, &message, &options, stop, |_| {})
            .await
    })??;
    let ui = &ctx.ui;
    let how = match (&report.recovered, report.resumed) {
        (Some(reason), _) => format!("new session (recovered: {reason})"),
        (None, true) => "resumed session".to_string(),
        (None, false) => "new session".to_string(),
    };
    ui.note(&format!(
        "{} · {how} {} · {} · {}",
        agent.name,
        report.session_id,
        report.output.outcome.name(),
        report.output.usage.cost_text()
    ));
    if report.output.leaked {
        ui.warn("the agent left a process holding its output open after it exited; it was killed");
    }
    if let Some(dir) = &home {
        let changed = crate::workspace::uncommitted(dir).unwrap_or_default();
        if !changed.is_empty() {
            ui.warn(&format!(
                "the agent changed {} file(s) in its worktree `{}` ({}); they are not committed, and its next task starts from a clean checkout: work that should land goes through a task",
                changed.len(),
                dir.display(),
                changed.join(", ")
            ));
        }
    }
    if ui.json {
        let path = store
            .messages_dir()
            .join(&options.thread)
            .join(format!("{}.json", report.result_id));
        let message: Message = fs::read_json(&path)?;
        ui.json_out(&message)?;
    } else if report.succeeded() {
        ui.out(&format!("{}\n", report.output.reply.trim_end()))?;
    }
    match report.output.outcome {
        Outcome::Success => Ok(crate::exit::OK),
        Outcome::Interrupted => Err(tagged(
            Kind::Interrupted,
            format!("the turn with `{}` was interrupted", agent.id),
        )),
        outcome if outcome.never_ran() => Err(with_hint(
            format!("could not run agent `{}`: {}", agent.id, outcome.name()),
            report.output.reason.unwrap_or_default(),
        )),
        outcome => Err(tagged(
            Kind::TasksFailed,
            format!(
                "agent `{}` failed: {}: {}",
                agent.id,
                outcome.name(),
                report.output.reason.unwrap_or_default()
            ),
        )),
    }
}
