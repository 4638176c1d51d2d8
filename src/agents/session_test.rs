//! `nexus sessions test`: the original "session management test", run for
//! real with each agent's own session. For every agent: create or resume
//! its session with one short turn, check the record is persisted and the
//! CLI's transcript is where validity looks for it, resume the session with
//! a second short turn when the first one created it, and check recovery
//! without spending tokens (what a fresh session would be handed: the recap
//! its memory holds). Probe turns recall nothing and are not remembered,
//! and run where the agent's work runs (its worktree, in worktree mode).

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::agents::backend::{Outcome, SessionMode};
use crate::agents::runtime::{Runtime, TurnOptions};
use crate::proc::signals::StopReceiver;
use crate::state::agent::Agent;
use crate::state::memory;

/// The probe every turn sends.
pub const PROBE: &str =
    "This is a session check by nexus (`nexus sessions test`). Reply with the single word OK.";

/// Returns where the agent's turns run: in worktree mode its instance's
/// worktree when it has one (where `run` made its session), else the
/// project itself.
fn place(runtime: &Runtime, agent: &Agent) -> TurnOptions {
    let worktree = crate::workspace::agent_home(
        &runtime.store,
        &runtime.config.workspace,
        runtime.ctx.env(),
        &agent.id,
        0,
    );
    TurnOptions {
        isolated: worktree.is_some(),
        cwd: worktree,
        ..TurnOptions::default()
    }
}

/// What the test will do for one agent, for the estimate shown first.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The agent.
    pub agent: String,
    /// Turns it will take: 1 when its session can be resumed (that turn
    /// shows the resume), else 2 (create, then resume).
    pub turns: u32,
    /// What one of its turns cost on average so far (its sessions' records,
    /// else every agent's; turns of unknown price left out); `None` without
    /// earlier priced turns.
    pub cost_per_turn_usd: Option<f64>,
}

/// Returns what the test will do for `agents` and the estimated cost
/// (`None` when no earlier turn gives one).
pub fn plan(runtime: &Runtime, agents: &[Agent]) -> Result<(Vec<Planned>, Option<f64>)> {
    let (listed, _) = crate::agents::sessions::list(runtime)?;
    let mean = |records: &mut dyn Iterator<Item = &crate::state::session::SessionRecord>| {
        // Over the turns whose cost is known: a turn of unknown price (no
        // `[prices]` entry) is no evidence of a free one.
        let (cost, turns) = records.fold((0.0, 0u32), |(cost, turns), record| {
            let priced = record.turns.saturating_sub(record.unpriced_turns);
            (cost + record.cost_usd, turns.saturating_add(priced))
        });
        (turns > 0).then(|| cost / f64::from(turns))
    };
    let everyone = mean(&mut listed.iter().map(|item| &item.record));
    let mut planned = Vec::new();
    for agent in agents {
        let backend = runtime.backend(agent)?;
        let record = runtime.load_session(&agent.id, 0)?;
        let cwd = runtime.turn_cwd(&place(runtime, agent));
        let (mode, _) = runtime.choose_session(backend, agent, record.as_ref(), false, &cwd)?;
        planned.push(Planned {
            agent: agent.id.clone(),
            turns: if mode.is_resume() { 1 } else { 2 },
            cost_per_turn_usd: mean(
                &mut listed
                    .iter()
                    .map(|item| &item.record)
                    .filter(|record| record.agent_id == agent.id),
            )
            .or(everyone),
        });
    }
    let estimate = planned
        .iter()
        .map(|item| {
            item.cost_per_turn_usd
                .map(|cost| cost * f64::from(item.turns))
        })
        .sum::<Option<f64>>();
    Ok((planned, estimate))
}

/// One step of the test and how it went.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `create_or_resume`, `persisted`, `resumed` or `recovery`.
    pub step: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

/// How the test went for one agent.
#[derive(Debug, Clone, Serialize)]
pub struct Tested {
    /// The agent.
    pub agent: String,
    /// Its session after the test.
    pub session_id: Option<String>,
    /// The steps, in order; the test stops at the first that fails.
    pub steps: Vec<Step>,
    /// Turns spent.
    pub turns: u32,
    /// What they cost.
    pub cost_usd: f64,
}

impl Tested {
    /// Returns whether every step passed.
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|step| step.passed)
    }
}

/// Runs the test for one agent (instance 0).
pub async fn test(runtime: &Runtime, agent: &Agent, stop: StopReceiver) -> Result<Tested> {
    let options = TurnOptions {
        thread: format!("sessions-test-{}", agent.id),
        priority: "low".to_string(),
        log_path: Some(
            runtime
                .store
                .logs_dir()
                .join("sessions-test")
                .join(format!("{}.log", agent.id)),
        ),
        wait_for_session: None,
        probe: true,
        ..place(runtime, agent)
    };
    let mut tested = Tested {
        agent: agent.id.clone(),
        session_id: None,
        steps: Vec::new(),
        turns: 0,
        cost_usd: 0.0,
    };
    // 1. Create or resume.
    let first = runtime
        .send(agent, 0, PROBE, &options, stop.clone(), |_| {})
        .await?;
    tested.turns += 1;
    tested.cost_usd += first.output.usage.cost_usd;
    tested.session_id = Some(first.session_id.clone());
    let how = match (&first.recovered, first.resumed) {
        (Some(reason), _) => format!("created session {} (recovered: {reason})", first.session_id),
        (None, true) => format!("resumed session {}", first.session_id),
        (None, false) => format!("created session {}", first.session_id),
    };
    let ok = first.output.outcome == Outcome::Success;
    tested.steps.push(Step {
        step: "create_or_resume",
        passed: ok,
        detail: if ok {
            how
        } else {
            failure(&first.output.outcome, first.output.reason.as_deref())
        },
    });
    if !ok {
        return Ok(tested);
    }
    // 2. Persisted: the record names the session and its transcript is
    // where the validity check looks (no tokens).
    let persisted = persisted(runtime, agent, &first.session_id)?;
    let ok = persisted.passed;
    tested.steps.push(persisted);
    if !ok {
        return Ok(tested);
    }
    // 3. Resumed: shown by the first turn, else by a second one.
    if first.resumed {
        tested.steps.push(Step {
            step: "resumed",
            passed: true,
            detail: format!("the first turn resumed session {}", first.session_id),
        });
    } else {
        let second = runtime
            .send(agent, 0, PROBE, &options, stop, |_| {})
            .await?;
        tested.turns += 1;
        tested.cost_usd += second.output.usage.cost_usd;
        let ok = second.output.outcome == Outcome::Success
            && second.resumed
            && second.session_id == first.session_id;
        tested.steps.push(Step {
            step: "resumed",
            passed: ok,
            detail: if ok {
                format!("resumed session {}", second.session_id)
            } else if second.output.outcome == Outcome::Success {
                format!(
                    "the second turn did not resume session {} (it used {})",
                    first.session_id, second.session_id
                )
            } else {
                failure(&second.output.outcome, second.output.reason.as_deref())
            },
        });
        tested.session_id = Some(second.session_id.clone());
        if !ok {
            return Ok(tested);
        }
    }
    // 4. Recovery, without spending tokens: what a fresh session gets.
    tested.steps.push(recovery(runtime, agent)?);
    Ok(tested)
}

fn failure(outcome: &Outcome, reason: Option<&str>) -> String {
    match reason {
        Some(reason) if !reason.is_empty() => format!("{}: {reason}", outcome.name()),
        _ => outcome.name().to_string(),
    }
}

/// Checks the session record on disk names `session_id` and can be resumed.
fn persisted(runtime: &Runtime, agent: &Agent, session_id: &str) -> Result<Step> {
    let path: PathBuf = runtime.store.session_path(&agent.id, 0);
    let Some(record) = runtime.load_session(&agent.id, 0)? else {
        return Ok(Step {
            step: "persisted",
            passed: false,
            detail: format!("no session record at `{}`", path.display()),
        });
    };
    if record.session_id != session_id {
        return Ok(Step {
            step: "persisted",
            passed: false,
            detail: format!(
                "`{}` names session {}, not {session_id}",
                path.display(),
                record.session_id
            ),
        });
    }
    let backend = runtime.backend(agent)?;
    let cwd = runtime.turn_cwd(&place(runtime, agent));
    let (mode, why) = runtime.choose_session(backend, agent, Some(&record), false, &cwd)?;
    Ok(match mode {
        SessionMode::Resume(_) => Step {
            step: "persisted",
            passed: true,
            detail: format!(
                "persisted to `{}`; its transcript is on disk",
                path.display()
            ),
        },
        SessionMode::New(_) => Step {
            step: "persisted",
            passed: false,
            detail: format!(
                "`{}` cannot be resumed: {}",
                path.display(),
                why.unwrap_or_default()
            ),
        },
    })
}

/// Says what a fresh session would be handed if this one were lost.
fn recovery(runtime: &Runtime, agent: &Agent) -> Result<Step> {
    let detail = if agent.memory.remembers() {
        let entries =
            memory::read_recent(&runtime.store.memory_path(&agent.id), memory::RECENT_BYTES)?;
        let recap = memory::recall(&entries, "", None, &agent.memory);
        format!(
            "if the session is lost, a fresh one starts with a recap of {} earlier interaction{} ({} bytes)",
            recap.keys.len(),
            if recap.keys.len() == 1 { "" } else { "s" },
            recap.text.len()
        )
    } else {
        "if the session is lost, a fresh one starts without a recap (`retention_policy = \"none\"`)"
            .to_string()
    };
    Ok(Step {
        step: "recovery",
        passed: true,
        detail,
    })
}
