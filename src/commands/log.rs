//! `nexus log PLAN TASK [--follow]`: a task's agent transcript, rendered
//! (`crate::dashboard::transcript`) or raw with `--json`.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cli::LogArgs;
use crate::context::Ctx;
use crate::dashboard::{detail, interrupt, transcript};
use crate::exit::with_hint;
use crate::state::task::TaskState;

/// How often `--follow` looks for new lines.
const POLL: Duration = Duration::from_millis(200);

/// Reads what was appended to `path` since `offset`; a missing file is empty.
fn read_from(path: &Path, offset: u64) -> Result<Vec<u8>> {
    crate::state::confine::check(path)?;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("failed to read `{}`", path.display()));
        }
    };
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_to_end(&mut bytes))
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    Ok(bytes)
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &LogArgs) -> Result<u8> {
    let store = ctx.store()?;
    let ui = &ctx.ui;
    let plan_id = store.resolve_plan(Some(&args.plan))?;
    let task_id = match store.load_plan(&plan_id) {
        Ok(plan) => detail::resolve_task(&plan, &args.task)?.id.clone(),
        Err(error) => {
            // The transcript is still worth showing; the task id must then be
            // given in full.
            ui.warn(&format!("{error:#}"));
            crate::ids::check_safe_id("task", &args.task)?;
            args.task.clone()
        }
    };
    let path = store.task_log_path(&plan_id, &task_id);
    let mut warned_task = false;
    let mut running = || match store.load_task(&plan_id, &task_id) {
        // Running with a live owner: every runner holds the task's lock, so
        // a task whose runner died (stale) ends the follow.
        Ok(record) => {
            record.state == TaskState::Running
                && crate::state::lock::key_is_held(&store.task_locks(&plan_id), &task_id)
        }
        Err(error) => {
            if !warned_task {
                ui.warn(&format!("{error:#}"));
                warned_task = true;
            }
            false
        }
    };
    if !(path.is_file() || args.follow && running()) {
        return Err(with_hint(
            format!(
                "task `{task_id}` of plan `{plan_id}` has no transcript yet (`{}`)",
                path.display()
            ),
            "`nexus run` writes it when the task starts; `--follow` waits while the task runs",
        ));
    }
    if args.follow {
        interrupt::install();
    }
    let mut offset = 0u64;
    let mut partial: Vec<u8> = Vec::new();
    let mut line_number = 0usize;
    let mut transcript = transcript::Transcript::default();
    loop {
        let still_running = args.follow && running();
        let bytes = read_from(&path, offset)?;
        offset += bytes.len() as u64;
        partial.extend_from_slice(&bytes);
        // Only whole lines are shown while the task may still write; at the
        // end a last unterminated line is shown as it is.
        let cut = if still_running {
            partial
                .iter()
                .rposition(|byte| *byte == b'\n')
                .map(|at| at + 1)
        } else {
            Some(partial.len())
        };
        let complete: Vec<u8> = match cut {
            Some(at) => partial.drain(..at).collect(),
            None => Vec::new(),
        };
        let mut text = String::new();
        let mut malformed = Vec::new();
        for line in String::from_utf8_lossy(&complete).lines() {
            line_number += 1;
            if ui.json {
                text.push_str(line);
                text.push('\n');
                continue;
            }
            let rendered = transcript.render_line(line, ui);
            if rendered.malformed {
                malformed.push(line_number);
            }
            if !rendered.text.is_empty() {
                text.push_str(&rendered.text);
                text.push('\n');
            }
        }
        if !text.is_empty() {
            ui.out(&text)?;
        }
        for number in malformed {
            ui.warn(&format!(
                "`{}` line {number} is not valid JSON (half-written?); shown as it is",
                path.display()
            ));
        }
        if !args.follow || (!still_running && bytes.is_empty()) {
            break;
        }
        if interrupt::sleep(POLL) {
            break;
        }
    }
    Ok(crate::exit::OK)
}
