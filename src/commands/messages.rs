//! `nexus messages [PLAN|THREAD] [--format text|mermaid] [-o FILE]`: the
//! protocol messages in order (`crate::report::flow`), as a table, JSON or
//! a Mermaid sequence diagram (`crate::picture::sequence`).

use std::collections::BTreeMap;

use anyhow::Result;

use crate::cli::{MessagesArgs, MessagesFormat};
use crate::context::Ctx;
use crate::dashboard::Snapshot;
use crate::exit::{Kind, tagged, tagged_hint};
use crate::picture::sequence::{self, PlanContext};
use crate::report::{flow, output};
use crate::state::store::Store;

/// Resolves the argument: an exact plan id, an exact thread name, else a
/// unique plan prefix. Returns the scope shown and the threads to read.
fn resolve(store: &Store, given: Option<&str>) -> Result<(Option<String>, Vec<String>)> {
    let threads = flow::threads(store)?;
    let Some(given) = given else {
        return Ok((None, threads));
    };
    let plans = store.plan_ids()?;
    if plans.iter().any(|plan| plan == given) || !threads.iter().any(|thread| thread == given) {
        let plan = store.resolve_plan(Some(given)).map_err(|error| {
            tagged_hint(
                Kind::Usage,
                format!("no plan or thread `{given}` ({error:#})"),
                "`nexus messages` lists every thread; `nexus status` lists the plans",
            )
        })?;
        return Ok((Some(plan.clone()), vec![plan]));
    }
    Ok((Some(given.to_string()), vec![given.to_string()]))
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &MessagesArgs) -> Result<u8> {
    let ui = &ctx.ui;
    if ui.json && args.format == MessagesFormat::Mermaid {
        return Err(tagged(
            Kind::Usage,
            "`--json` prints the messages' data; it does not go with `--format mermaid`",
        ));
    }
    let store = ctx.store()?;
    let (scope, threads) = resolve(&store, args.scope.as_deref())?;
    let loaded = flow::load(&store, &threads)?;
    for problem in &loaded.problems {
        ui.warn(&problem.error);
    }
    let text = if ui.json {
        let listing = flow::build(&loaded, scope.as_deref(), &threads, ctx.now());
        format!("{}\n", serde_json::to_string_pretty(&listing)?)
    } else if args.format == MessagesFormat::Mermaid {
        let snapshot = Snapshot::load(&store)?;
        let names: BTreeMap<String, String> = snapshot
            .agents
            .iter()
            .filter_map(|loaded| Some((loaded.id.clone(), loaded.agent.as_ref()?.name.clone())))
            .collect();
        let exchanges = flow::exchanges(&loaded.messages);
        sequence::diagram(
            &loaded.messages,
            &exchanges,
            &names,
            scope
                .as_deref()
                .and_then(|plan| snapshot.plan(plan))
                .map(PlanContext::from_plan)
                .as_ref(),
        )
    } else {
        let listing = flow::build(&loaded, scope.as_deref(), &threads, ctx.now());
        flow::render(&listing, ui)
    };
    output::emit(ui, &ctx.cwd, &text, args.output.as_deref())?;
    Ok(crate::exit::OK)
}
