//! `nexus memory show|reset AGENT`.

use anyhow::Result;

use crate::cli::MemoryCommand;
use crate::context::Ctx;
use crate::state::fs;
use crate::state::memory::{self, EntryKind};
use crate::ui::{Tone, shorten};

/// Runs the command.
pub fn run(ctx: &Ctx, command: &MemoryCommand) -> Result<u8> {
    let store = ctx.store()?;
    let ui = &ctx.ui;
    match command {
        MemoryCommand::Show(args) => {
            let agent = store.load_agent(&args.agent)?;
            let (entries, problems) = memory::read(&store.memory_path(&agent.id))?;
            for problem in &problems {
                ui.warn(problem);
            }
            let skip = args
                .last
                .map_or(0, |last| entries.len().saturating_sub(last));
            let shown = &entries[skip..];
            if ui.json {
                return ui.json_out(&shown).map(|()| crate::exit::OK);
            }
            if shown.is_empty() {
                ui.note(&format!("agent `{}` remembers nothing yet", agent.id));
                return Ok(crate::exit::OK);
            }
            let mut text = String::new();
            for entry in shown {
                let kind = match entry.kind {
                    EntryKind::Interaction => ui.paint("interaction", Tone::Accent),
                    EntryKind::Recap => ui.paint("recap", Tone::Warn),
                };
                let place = match (&entry.thread, &entry.task_id) {
                    (Some(thread), Some(task)) => format!(" {thread}/{task}"),
                    (Some(thread), None) => format!(" {thread}"),
                    _ => String::new(),
                };
                text.push_str(&format!(
                    "{} {kind}{place} [{}]\n",
                    ui.paint(&entry.at.to_string(), Tone::Dim),
                    entry.outcome
                ));
                text.push_str(&format!("  asked:    {}\n", shorten(&entry.request, 200)));
                text.push_str(&format!("  answered: {}\n", shorten(&entry.response, 200)));
            }
            ui.out(&text)?;
        }
        MemoryCommand::Reset(args) => {
            let agent = store.load_agent(&args.agent)?;
            let _guard = store.lock_memory(&agent.id)?;
            let path = store.memory_path(&agent.id);
            let (entries, _) = memory::read(&path)?;
            fs::remove_file(&path)?;
            ui.note(&format!(
                "forgot {} entr{} of agent `{}`",
                entries.len(),
                if entries.len() == 1 { "y" } else { "ies" },
                agent.id
            ));
        }
    }
    Ok(crate::exit::OK)
}
