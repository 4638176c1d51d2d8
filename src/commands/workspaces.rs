//! The commands on a plan's delivered branch and on the workspaces: `diff`,
//! `land`, `reject`, `workspaces list|prune` and `plan rm`. The logic is in
//! `workspace::ops`.

use anyhow::Result;

use crate::cli::{DiffArgs, LandArgs, PlanRmArgs, RejectArgs, WorkspacesCommand};
use crate::context::Ctx;
use crate::exit::{Kind, tagged, tagged_hint};
use crate::state::store::Store;
use crate::ui::{Tone, table};
use crate::workspace::ops;
use crate::workspace::{Shared, Workspaces, short};

/// Returns the project's workspaces, or the error saying there are none.
fn workspaces(ctx: &Ctx, store: &Store) -> Result<Workspaces> {
    let config = store.load_config()?;
    match Workspaces::open(store, &config.workspace, ctx.env())? {
        Ok(workspaces) => Ok(workspaces),
        Err(Shared::Configured) => Err(tagged_hint(
            Kind::Usage,
            "`[workspace] mode` is `shared`: there are no worktrees or branches",
            "set `mode = \"worktree\"` under `[workspace]` in `.nexus/config.toml` for worktrees, branches and the merge queue",
        )),
        Err(Shared::NotARepository) => Err(tagged_hint(
            Kind::Usage,
            format!(
                "`{}` is not in a git repository: there are no worktrees or branches",
                store.project_root().display()
            ),
            "worktree mode needs a git repository (`git init`, and a first commit)",
        )),
    }
}

/// `nexus diff`.
pub fn diff(ctx: &Ctx, args: &DiffArgs) -> Result<u8> {
    let store = ctx.store()?;
    let workspaces = workspaces(ctx, &store)?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let task = match args.task.as_deref() {
        Some(given) => {
            let plan = store.load_plan(&plan_id)?;
            Some(
                crate::dashboard::detail::resolve_task(&plan, given)?
                    .id
                    .clone(),
            )
        }
        None => None,
    };
    if task.is_none() {
        // A branch deleted by hand is named as such, not left to git.
        ops::integration_tip(&workspaces.git, &ops::plan_workspace(&store, &plan_id)?)?;
    }
    let (from, to) = ops::diff_range(&store, &plan_id, task.as_deref())?;
    let color = if ctx.ui.color_out() {
        "--color=always"
    } else {
        "--no-color"
    };
    let mut command = vec!["diff", color];
    if args.stat {
        command.push("--stat");
    }
    command.push(&from);
    command.push(&to);
    let text = workspaces.git.run(&workspaces.git.top, &command)?;
    if !text.is_empty() {
        ctx.ui.out(&format!("{text}\n"))?;
    }
    Ok(crate::exit::OK)
}

/// `nexus land`.
pub fn land(ctx: &Ctx, args: &LandArgs) -> Result<u8> {
    let store = ctx.store()?;
    let workspaces = workspaces(ctx, &store)?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let plan = store.load_plan(&plan_id)?;
    let landed = ops::land(
        &workspaces,
        &store,
        &plan,
        args.squash,
        args.partial,
        ctx.now(),
    )?;
    let ui = &ctx.ui;
    if ui.json {
        ui.json_out(&landed)?;
    } else if landed.how == "already-landed" {
        ui.note(&format!(
            "plan `{plan_id}` is already in `{}`",
            landed.branch
        ));
    } else {
        ui.note(&format!(
            "{} plan `{plan_id}` into `{}` ({}), now at {}",
            ui.paint_err("landed", Tone::Good),
            landed.branch,
            landed.how,
            short(&landed.commit)
        ));
    }
    Ok(crate::exit::OK)
}

/// `nexus reject`.
pub fn reject(ctx: &Ctx, args: &RejectArgs) -> Result<u8> {
    if args.reason.trim().is_empty() {
        return Err(tagged(
            Kind::Usage,
            "`--reason` is empty: say why, for the agent",
        ));
    }
    let store = ctx.store()?;
    let workspaces = workspaces(ctx, &store)?;
    let plan_id = store.resolve_plan(Some(&args.plan))?;
    let plan = store.load_plan(&plan_id)?;
    let task = crate::dashboard::detail::resolve_task(&plan, &args.task)?
        .id
        .clone();
    let built_on = ops::reject(&workspaces, &store, &plan, &task, &args.reason, ctx.now())?;
    let ui = &ctx.ui;
    ui.note(&format!(
        "took task `{task}` out of `{}`; it runs again with your reason on the next `nexus run {plan_id}`",
        Workspaces::integration_branch(&plan_id)
    ));
    if !built_on.is_empty() {
        ui.warn(&format!(
            "completed tasks that depend on it were built on its work: {}",
            built_on
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(crate::exit::OK)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// `nexus workspaces list|prune`.
pub fn run(ctx: &Ctx, command: &WorkspacesCommand) -> Result<u8> {
    let store = ctx.store()?;
    let workspaces = workspaces(ctx, &store)?;
    let ui = &ctx.ui;
    match command {
        WorkspacesCommand::List => {
            let listed = ops::list(&workspaces)?;
            if ui.json {
                ui.json_out(&listed)?;
                return Ok(crate::exit::OK);
            }
            if listed.is_empty() {
                ui.note(&format!(
                    "no worktrees under `{}` yet",
                    workspaces.root.display()
                ));
                return Ok(crate::exit::OK);
            }
            let mut rows = vec![
                ["WORKTREE", "COMMIT", "CHANGED", "SIZE", "IDLE", "PATH"]
                    .map(|head| ui.paint(head, Tone::Bold))
                    .to_vec(),
            ];
            for item in &listed {
                rows.push(vec![
                    ui.paint(&item.name, Tone::Accent),
                    item.head.as_deref().map(short).unwrap_or("-").to_string(),
                    item.changed.to_string(),
                    megabytes(item.bytes),
                    crate::time::short_duration(std::time::Duration::from_secs(item.idle_seconds)),
                    item.path.display().to_string(),
                ]);
            }
            ui.out(&table(&rows))?;
            let total: u64 = listed.iter().map(|item| item.bytes).sum();
            ui.note(&format!(
                "{} worktree(s), {} on disk",
                listed.len(),
                megabytes(total)
            ));
        }
        WorkspacesCommand::Prune(args) => {
            let pruned = ops::prune(&workspaces, &store, args.dry_run, args.force)?;
            if ui.json {
                ui.json_out(&pruned)?;
                return Ok(crate::exit::OK);
            }
            let verb = if args.dry_run {
                "would remove"
            } else {
                "removed"
            };
            for name in &pruned.worktrees {
                ui.line(&format!("{verb} worktree {name}"))?;
            }
            for branch in &pruned.branches {
                ui.line(&format!("{verb} branch {branch}"))?;
            }
            for kept in &pruned.kept {
                ui.warn(&format!(
                    "kept worktree {}: {} uncommitted file(s) (see `nexus workspaces list`; `--force` removes it)",
                    kept.name, kept.uncommitted
                ));
            }
            ui.note(&format!(
                "{verb} {} worktree(s) and {} branch(es); {} freed",
                pruned.worktrees.len(),
                pruned.branches.len(),
                megabytes(pruned.bytes_freed)
            ));
        }
    }
    Ok(crate::exit::OK)
}

/// `nexus plan rm`.
pub fn remove_plan(ctx: &Ctx, args: &PlanRmArgs) -> Result<u8> {
    let store = ctx.store()?;
    let plan_id = store.resolve_plan(Some(&args.plan))?;
    if !args.yes {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            return Err(tagged_hint(
                Kind::Usage,
                format!("deleting plan `{plan_id}` needs a confirmation"),
                "pass `--yes` (in scripts), or run it in a terminal to be asked",
            ));
        }
        eprint_prompt(&format!(
            "delete plan `{plan_id}`, its records under `.nexus` and its branches? [y/N] "
        ));
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|error| anyhow::anyhow!("failed to read the answer: {error}"))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            ctx.ui.note("nothing was deleted");
            return Ok(crate::exit::OK);
        }
    }
    let config = store.load_config()?;
    let workspaces = Workspaces::open(&store, &config.workspace, ctx.env())?.ok();
    let branches = ops::remove_plan(workspaces.as_ref(), &store, &plan_id)?;
    ctx.ui.note(&format!(
        "deleted plan `{plan_id}` and {} branch(es)",
        branches.len()
    ));
    Ok(crate::exit::OK)
}

fn eprint_prompt(text: &str) {
    crate::ui::to_stderr(text);
}
