//! `nexus report [PLAN] [--html | --timeline] [-o FILE]`: what each agent
//! did, its verification evidence, open questions and next steps
//! (`crate::report`), as Markdown, JSON, one HTML page or the timeline SVG.

use anyhow::Result;

use crate::cli::ReportArgs;
use crate::context::Ctx;
use crate::dashboard::Snapshot;
use crate::exit::{Kind, tagged};
use crate::picture::timeline;
use crate::report::{build, html, markdown, output};

/// Runs the command.
pub fn run(ctx: &Ctx, args: &ReportArgs) -> Result<u8> {
    let ui = &ctx.ui;
    if ui.json && (args.html || args.timeline) {
        return Err(tagged(
            Kind::Usage,
            "`--json` prints the report's data; it does not go with `--html` or `--timeline`",
        ));
    }
    let store = ctx.store()?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let snapshot = Snapshot::load(&store)?;
    let report = build::report(&snapshot, &store, &plan_id, ctx.now())?;
    let text = if ui.json {
        format!("{}\n", serde_json::to_string_pretty(&report)?)
    } else if args.html {
        html::render(&report)
    } else if args.timeline {
        timeline::svg(&report, false)
    } else {
        markdown::render(&report)
    };
    output::emit(ui, &ctx.cwd, &text, args.output.as_deref())?;
    Ok(crate::exit::OK)
}
