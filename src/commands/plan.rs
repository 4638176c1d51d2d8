//! `nexus plan`: a request → a validated plan under `plans/<id>/`. Prints
//! the plan id alone on stdout (`PLAN=$(nexus plan "…")`), or the plan with
//! `--json`; says on stderr which planner ran.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

use crate::brain::planner::{self, PlanInput, Planning};
use crate::cli::{AdoptArgs, InputFormat, PlanArgs, PlanCommand};
use crate::context::Ctx;
use crate::exit::{Kind, tagged, tagged_hint};
use crate::ids;
use crate::plan::create;
use crate::state::agent::Agent;
use crate::state::config::Config;
use crate::state::fs;
use crate::state::plan::{Adoption, Plan, PlanSource, Priority, TaskSpec};
use crate::state::store::Store;
use crate::state::task::TaskRecord;
use crate::taskmaster::SourceFile;
use crate::ui::{Tone, shorten, table};

/// Runs the command.
pub fn run(ctx: &Ctx, args: &PlanArgs) -> Result<u8> {
    match &args.action {
        Some(PlanCommand::Adopt(adopt_args)) => return adopt(ctx, adopt_args),
        Some(PlanCommand::Rm(rm_args)) => {
            return crate::commands::workspaces::remove_plan(ctx, rm_args);
        }
        None => {}
    }
    if let Some(target) = &args.revise {
        return crate::commands::revise::run(ctx, args, target);
    }
    let deadline_flag = args
        .deadline
        .as_deref()
        .map(crate::time::parse_deadline)
        .transpose()
        .map_err(|problem| tagged(Kind::Usage, format!("`--deadline`: {problem}")))?;
    let store = ctx.store()?;
    let config = store.load_config()?;
    let agents = store.load_agents()?;
    let context = context_flags(ctx, args)?;
    let plan_id = new_plan_id(&store, args)?;
    let made = match &args.from {
        Some(from) => from_file(ctx, &store, args, from, &agents, deadline_flag)?,
        None => {
            let request = args.request.clone().unwrap_or_default();
            if request.trim().is_empty() {
                return Err(tagged(Kind::Usage, "the request is empty"));
            }
            let input = PlanInput {
                request,
                priority: args.priority.unwrap_or_default(),
                deadline: deadline_flag,
                context: context.clone(),
            };
            from_planner(ctx, &store, &config, &agents, args, &plan_id, input)?
        }
    };
    let (plan, records, results) = made.into_plan(ctx, plan_id, context);
    let ui = &ctx.ui;
    let duration = duration_text(&store, &config, &agents, &plan);
    if args.dry_run {
        if ui.json {
            ui.json_out(&plan)?;
        } else {
            ui.out(&format!("{}{duration}\n", render(ctx, &plan)))?;
        }
        ui.note("dry run: nothing was written");
        return Ok(crate::exit::OK);
    }
    create::save_with(&store, &plan, &records, &results)?;
    if ui.json {
        ui.json_out(&plan)?;
    } else {
        ui.line(&plan.id)?;
    }
    notes_after_writing(ctx, &store, &plan, &duration)?;
    Ok(crate::exit::OK)
}

/// Returns the context of `--context-file` and `--context KEY=VALUE` (the
/// flags win).
fn context_flags(ctx: &Ctx, args: &PlanArgs) -> Result<BTreeMap<String, String>> {
    let mut context = BTreeMap::new();
    if let Some(path) = &args.context_file {
        context.extend(context_file(&ctx.cwd.join(path))?);
    }
    for pair in &args.context {
        let Some((key, value)) = pair
            .split_once('=')
            .filter(|(key, _)| !key.trim().is_empty())
        else {
            return Err(tagged_hint(
                Kind::Usage,
                format!("`--context {pair}` is not `KEY=VALUE`"),
                "write it as `--context language=rust`",
            ));
        };
        context.insert(key.trim().to_string(), value.to_string());
    }
    Ok(context)
}

/// Returns the new plan's id: `--id` (safe, not taken), else a fresh one.
fn new_plan_id(store: &Store, args: &PlanArgs) -> Result<String> {
    Ok(match &args.id {
        Some(id) => {
            ids::check_safe_id("plan", id)
                .map_err(|error| tagged(Kind::Usage, error.to_string()))?;
            if store.plan_dir(id).exists() {
                return Err(create::plan_exists(id));
            }
            id.clone()
        }
        None => create::new_plan_id(store),
    })
}

/// Says on stderr what was written, how long it should take, and what is
/// left to do: assigning agents, adopting suggested checks, trusting the
/// plan's commands.
fn notes_after_writing(ctx: &Ctx, store: &Store, plan: &Plan, duration: &str) -> Result<()> {
    let ui = &ctx.ui;
    let unassigned = plan
        .tasks
        .iter()
        .filter(|task| task.agent.is_none())
        .count();
    ui.note(&format!(
        "wrote `{}` with {} tasks",
        store.plan_path(&plan.id).display(),
        plan.tasks.len()
    ));
    ui.note(duration);
    if unassigned > 0 {
        ui.note(&format!(
            "{unassigned} tasks have no agent yet: nexus assign {}",
            plan.id
        ));
    }
    let suggested: usize = plan
        .tasks
        .iter()
        .map(|task| task.suggested_verify.len())
        .sum();
    if suggested > 0 {
        ui.note(&format!(
            "the planner suggested {suggested} check(s); they never run unless you adopt them: nexus plan adopt {}",
            plan.id
        ));
    }
    let trust = crate::state::trust::Trust::load(ctx.env(), store)?;
    let untrusted = crate::state::trust::plan_commands(plan)
        .into_iter()
        .filter(|item| !trust.is_trusted(&item.command))
        .count();
    if untrusted > 0 {
        ui.note(&format!(
            "{untrusted} verify command(s) of this plan run only once you trust them: nexus trust"
        ));
    }
    Ok(())
}

/// A plan as a planner or a file made it, before it is stored.
struct Made {
    request: String,
    planner: String,
    model: Option<String>,
    priority: Priority,
    deadline: Option<String>,
    /// Context from the file, under the command line's.
    context: BTreeMap<String, String>,
    tasks: Vec<TaskSpec>,
    source: Option<PlanSource>,
    /// Records of tasks done before the plan (a Task Master import).
    records: BTreeMap<String, TaskRecord>,
    /// Their result texts.
    results: BTreeMap<String, String>,
}

impl Made {
    /// Returns the plan `plan_id` made of this (the command line's
    /// `context` over the file's), with the records and results of its
    /// tasks done before it.
    fn into_plan(
        self,
        ctx: &Ctx,
        plan_id: String,
        context: BTreeMap<String, String>,
    ) -> (Plan, BTreeMap<String, TaskRecord>, BTreeMap<String, String>) {
        let context: BTreeMap<String, String> = self.context.into_iter().chain(context).collect();
        let tasks = self.tasks;
        // Suggested or adopted checks need schema 2 (an older nexus would not
        // know them); a plan without them stays readable by older ones.
        let schema = if self.source.is_some()
            || tasks
                .iter()
                .any(|task| !task.suggested_verify.is_empty() || task.adopted.is_some())
        {
            2
        } else {
            1
        };
        let plan = Plan {
            schema,
            id: plan_id,
            request: self.request,
            planner: self.planner,
            model: self.model,
            created_at: ctx.now(),
            created_by: command_line(),
            priority: self.priority,
            deadline: self.deadline,
            context,
            source: self.source,
            tasks,
        };
        (plan, self.records, self.results)
    }
}

/// Asks the planner for the plan of `input`.
fn from_planner(
    ctx: &Ctx,
    store: &Store,
    config: &Config,
    agents: &[Agent],
    args: &PlanArgs,
    plan_id: &str,
    input: PlanInput,
) -> Result<Made> {
    let kind = planner::resolve_planner(ctx, config, args.planner)?;
    let ui = &ctx.ui;
    ui.note(&format!("planning with the `{}` planner…", kind.name()));
    let planning = Planning {
        ctx,
        store,
        config,
        agents,
        planner: kind,
        model_flag: args.model.as_deref(),
    };
    let drafted = planner::draft(&planning, &input, plan_id, &mut |note| ui.note(note))?;
    let model = drafted
        .model
        .as_ref()
        .map(|model| format!(" (model `{model}`)"))
        .unwrap_or_default();
    let repaired = if drafted.repaired {
        ", after one repair round"
    } else {
        ""
    };
    ui.note(&format!(
        "the `{}` planner{model} planned {} tasks{repaired}",
        drafted.planner.name(),
        drafted.tasks.len()
    ));
    Ok(Made {
        request: input.request,
        planner: drafted.planner.name().to_string(),
        model: drafted.model,
        priority: input.priority,
        deadline: input.deadline,
        context: BTreeMap::new(),
        tasks: drafted.tasks,
        source: None,
        records: BTreeMap::new(),
        results: BTreeMap::new(),
    })
}

/// Reads `--from FILE` (or stdin): a Task Master file, recognised or named
/// by `--input-format`, or a nexus plan.
fn from_file(
    ctx: &Ctx,
    store: &Store,
    args: &PlanArgs,
    from: &Path,
    agents: &[Agent],
    deadline_flag: Option<String>,
) -> Result<Made> {
    let (shown, path, text) = if from.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("failed to read the plan from stdin")?;
        ("-".to_string(), None, text)
    } else {
        let path = ctx.cwd.join(from);
        let text = fs::read_to_string(&path)?;
        (from.display().to_string(), Some(path), text)
    };
    let taskmaster = match args.input_format {
        Some(format) => format == InputFormat::Taskmaster,
        None => crate::taskmaster::detect(&text),
    };
    let ui = &ctx.ui;
    if taskmaster {
        let file = SourceFile {
            shown: &shown,
            path: path.as_deref(),
            text: &text,
            tag: args.tag.as_deref(),
        };
        let imported = crate::taskmaster::import_plan(
            &store.project_root(),
            &file,
            ctx.now(),
            &command_line(),
        )?;
        for note in &imported.notes {
            ui.note(&format!("note: {note}"));
        }
        ui.note(&imported.summary);
        return Ok(Made {
            request: args.request.clone().unwrap_or_else(|| {
                format!(
                    "Task Master tag `{}` of `{}`",
                    imported.source.tag,
                    imported.source.path.as_deref().unwrap_or(&shown)
                )
            }),
            planner: "import".to_string(),
            model: None,
            priority: args.priority.unwrap_or_default(),
            deadline: deadline_flag,
            context: BTreeMap::new(),
            tasks: imported.tasks,
            source: Some(imported.source),
            records: imported.records,
            results: imported.results,
        });
    }
    if args.tag.is_some() {
        return Err(tagged_hint(
            Kind::Usage,
            format!("`--tag` picks a tag of a Task Master file, and `{shown}` is a nexus plan"),
            "leave `--tag` out, or add `--input-format taskmaster` if the file is a Task Master file",
        ));
    }
    let default_priority = args.priority.unwrap_or_default();
    let draft = create::import(&shown, &text, agents, default_priority)?;
    let request = args
        .request
        .clone()
        .or(draft.request)
        .unwrap_or_else(|| format!("imported from `{shown}`"));
    ui.note(&format!(
        "imported {} tasks from `{shown}`",
        draft.tasks.len()
    ));
    Ok(Made {
        request,
        planner: "import".to_string(),
        model: None,
        priority: args.priority.or(draft.priority).unwrap_or_default(),
        deadline: deadline_flag.or(draft.deadline),
        context: draft.context,
        tasks: draft.tasks,
        source: None,
        records: BTreeMap::new(),
        results: BTreeMap::new(),
    })
}

/// `nexus plan adopt PLAN [TASK]`: a person adopts the checks a planner's
/// model suggested; they become the tasks' `verify` commands, recorded with
/// who and when, and trusted on this machine.
fn adopt(ctx: &Ctx, args: &AdoptArgs) -> Result<u8> {
    let store = ctx.store()?;
    let plan_id = store.resolve_plan(Some(&args.plan))?;
    let _guard = store.lock_plan_edit(&plan_id)?;
    let mut plan = store.load_plan(&plan_id)?;
    if let Some(task) = &args.task
        && plan.task(task).is_none()
    {
        return Err(tagged_hint(
            Kind::Usage,
            format!("plan `{plan_id}` has no task `{task}`"),
            format!("`nexus status {plan_id}` lists its tasks"),
        ));
    }
    let by = format!(
        "{}@{}",
        ctx.var("USER")
            .or_else(|| ctx.var("LOGNAME"))
            .unwrap_or("unknown"),
        crate::state::lock::hostname()
    );
    let now = ctx.now();
    let mut trust = crate::state::trust::Trust::load(ctx.env(), &store)?;
    let mut adopted = Vec::new();
    for task in &mut plan.tasks {
        if args.task.as_ref().is_some_and(|only| *only != task.id)
            || task.suggested_verify.is_empty()
        {
            continue;
        }
        let commands = std::mem::take(&mut task.suggested_verify);
        for command in &commands {
            if !task.verify.contains(command) {
                task.verify.push(command.clone());
            }
            trust.trust(
                command,
                &format!(
                    "plan `{plan_id}` task `{}` verify (adopted by {by})",
                    task.id
                ),
                now,
            );
            adopted.push((task.id.clone(), command.clone()));
        }
        task.adopted = Some(Adoption {
            by: by.clone(),
            at: now,
            commands,
        });
    }
    let ui = &ctx.ui;
    if adopted.is_empty() {
        ui.note(&format!(
            "nothing to adopt: no suggested checks in plan `{plan_id}`"
        ));
        return Ok(crate::exit::OK);
    }
    plan.schema = 2;
    fs::write_json(&store.plan_path(&plan_id), &plan)?;
    trust.save()?;
    for (task, command) in &adopted {
        ui.line(&format!("{task}\t{command}"))?;
    }
    ui.note(&format!(
        "adopted {} check(s) as verify commands of plan `{plan_id}` (by {by})",
        adopted.len()
    ));
    Ok(crate::exit::OK)
}

/// Says how long the plan should take: the makespan at `[run] parallel`
/// from the scheduler's own estimator (`plan::estimate`).
pub(crate) fn duration_text(
    store: &crate::state::store::Store,
    config: &crate::state::config::Config,
    agents: &[crate::state::agent::Agent],
    plan: &Plan,
) -> String {
    use crate::time::short_duration;
    let instances = |id: &str| {
        agents
            .iter()
            .find(|agent| agent.id == id)
            .map_or(1, |agent| agent.instances)
    };
    let parallel = usize::try_from(config.run.parallel).unwrap_or(1);
    let history = crate::plan::estimate::History::from_store(store);
    match crate::plan::estimate::plan_duration(plan, &history, &instances, parallel) {
        Some(duration) => format!(
            "estimated duration: ~{} with {parallel} task{} at a time (critical path ~{}, {} of work in all)",
            short_duration(duration.makespan),
            if parallel == 1 { "" } else { "s" },
            short_duration(duration.critical_path),
            short_duration(duration.work)
        ),
        None => "estimated duration: unknown (the plan's graph is not valid)".to_string(),
    }
}

fn render(ctx: &Ctx, plan: &Plan) -> String {
    let ui = &ctx.ui;
    let mut text = format!(
        "{} {} ({} planner, {} priority)\n",
        ui.paint("plan", Tone::Bold),
        ui.paint(&plan.id, Tone::Accent),
        plan.planner,
        plan.priority
    );
    text.push_str(&format!("request: {}\n\n", shorten(&plan.request, 100)));
    let mut rows = vec![
        ["TASK", "TYPE", "AGENT", "PRIORITY", "DEPENDS ON", "TITLE"]
            .map(|head| ui.paint(head, Tone::Dim))
            .to_vec(),
    ];
    for task in &plan.tasks {
        rows.push(vec![
            ui.paint(&task.id, Tone::Accent),
            task.task_type.to_string(),
            task.agent.clone().unwrap_or_else(|| "-".to_string()),
            task.priority.to_string(),
            if task.depends_on.is_empty() {
                "-".to_string()
            } else {
                task.depends_on.join(",")
            },
            shorten(&task.title, 60),
        ]);
    }
    text.push_str(&table(&rows));
    text
}

/// Returns the command line, for `created_by`.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quoted: Vec<String> = args
        .iter()
        .map(|arg| {
            if !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@".contains(c))
            {
                arg.clone()
            } else {
                format!("'{}'", arg.replace('\'', "'\\''"))
            }
        })
        .collect();
    format!("nexus {}", quoted.join(" "))
}

/// Reads `--context-file`: a JSON object of strings, or `KEY=VALUE` lines
/// (blank lines and `#` comments skipped).
fn context_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = fs::read_to_string(path)?;
    let shown = path.display();
    if text.trim_start().starts_with('{') {
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|error| {
                tagged(
                    Kind::Usage,
                    format!("context file `{shown}` is not a JSON object: {error}"),
                )
            })?;
        return map
            .into_iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => Ok((key, text)),
                other => Ok((key, other.to_string())),
            })
            .collect();
    }
    let mut context = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(tagged(
                Kind::Usage,
                format!(
                    "context file `{shown}` line {}: `{line}` is not `KEY=VALUE`",
                    number + 1
                ),
            ));
        };
        context.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_files_take_json_or_lines() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("c.json");
        std::fs::write(&json, r#"{"lang": "rust", "n": 3}"#).unwrap();
        let map = context_file(&json).unwrap();
        assert_eq!(map["lang"], "rust");
        assert_eq!(map["n"], "3");
        let lines = dir.path().join("c.env");
        std::fs::write(&lines, "# comment\nlang = rust\n\nteam=core\n").unwrap();
        assert_eq!(context_file(&lines).unwrap()["team"], "core");
        std::fs::write(&lines, "oops\n").unwrap();
        let error = context_file(&lines).unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
    }
}
