//! `nexus graph [PLAN] [--format mermaid|dot|svg] [-o FILE]`: the plan's
//! dependency graph (`crate::picture`), or its data with `--json`.

use anyhow::Result;

use crate::cli::{GraphArgs, GraphFormat};
use crate::context::Ctx;
use crate::dashboard::{Snapshot, detail};
use crate::exit::{Kind, tagged};
use crate::picture::graph::PlanGraph;
use crate::picture::{dot, mermaid, svg};
use crate::plan::estimate::History;
use crate::report::output;

/// Runs the command.
pub fn run(ctx: &Ctx, args: &GraphArgs) -> Result<u8> {
    let ui = &ctx.ui;
    if ui.json && args.format.is_some() {
        return Err(tagged(
            Kind::Usage,
            "`--json` prints the graph's data; it does not go with `--format`",
        ));
    }
    let store = ctx.store()?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let snapshot = Snapshot::load(&store)?;
    let loaded = detail::loaded_plan(&snapshot, &store, &plan_id)?;
    let graph = PlanGraph::build(loaded, &History::from_store(&store))?;
    let text = if ui.json {
        format!("{}\n", serde_json::to_string_pretty(&graph)?)
    } else {
        match args.format.unwrap_or(GraphFormat::Mermaid) {
            GraphFormat::Mermaid => mermaid::flowchart(&graph),
            GraphFormat::Dot => dot::digraph(&graph),
            GraphFormat::Svg => svg::graph(&graph, false),
        }
    };
    output::emit(ui, &ctx.cwd, &text, args.output.as_deref())?;
    Ok(crate::exit::OK)
}
