//! `nexus trust`: allows the commands committed in `.nexus` (agents' and
//! plans' `verify`) to run on this machine; `--list` shows them with their
//! state, `--revoke` forgets them all. See `state::trust`.

use anyhow::Result;
use serde::Serialize;

use crate::cli::TrustArgs;
use crate::context::Ctx;
use crate::state::trust::{self, Trust};
use crate::ui::{Tone, table};

#[derive(Serialize)]
struct Row<'a> {
    command: &'a str,
    source: &'a str,
    trusted: bool,
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &TrustArgs) -> Result<u8> {
    let store = ctx.store()?;
    let mut trust = Trust::load(ctx.env(), &store)?;
    let ui = &ctx.ui;
    if args.revoke {
        let count = trust.revoke_all();
        trust.save()?;
        ui.note(&format!(
            "forgot {count} trusted command(s) of `{}`",
            store.root().display()
        ));
        return Ok(crate::exit::OK);
    }
    let committed = trust::committed(&store)?;
    let was_trusted: Vec<bool> = committed
        .iter()
        .map(|item| trust.is_trusted(&item.command))
        .collect();
    if !args.list {
        let now = ctx.now();
        for item in &committed {
            trust.trust(&item.command, &item.source, now);
        }
        trust.save()?;
    }
    if ui.json {
        let rows: Vec<Row<'_>> = committed
            .iter()
            .zip(&was_trusted)
            .map(|(item, trusted)| Row {
                command: &item.command,
                source: &item.source,
                trusted: *trusted || !args.list,
            })
            .collect();
        ui.json_out(&rows)?;
        return Ok(crate::exit::OK);
    }
    if committed.is_empty() {
        ui.note("no commands are committed in this `.nexus`: nothing to trust");
        return Ok(crate::exit::OK);
    }
    let mut rows = vec![
        ["STATE", "COMMAND", "FROM"]
            .map(|head| ui.paint(head, Tone::Bold))
            .to_vec(),
    ];
    let mut newly = 0;
    for (item, trusted) in committed.iter().zip(&was_trusted) {
        let state = match (trusted, args.list) {
            (true, _) => ui.paint("trusted", Tone::Good),
            (false, true) => ui.paint("untrusted", Tone::Warn),
            (false, false) => {
                newly += 1;
                ui.paint("trusted now", Tone::Accent)
            }
        };
        rows.push(vec![state, item.command.clone(), item.source.clone()]);
    }
    ui.out(&table(&rows))?;
    if !args.list {
        ui.note(&format!(
            "trusted {newly} new command(s); kept in `{}`",
            trust
                .path()
                .map_or_else(|| "?".to_string(), |path| path.display().to_string())
        ));
    }
    Ok(crate::exit::OK)
}
