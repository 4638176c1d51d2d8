//! `nexus export [PLAN] --to make|slurm|github-actions|taskmaster [-o FILE]`:
//! writes the plan's DAG for an external executor (see `export`), on stdout
//! or into exactly the file named by `-o`; or the statuses of its tasks back
//! into the Task Master file it came from (see `taskmaster::write_back`).

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::{ExportArgs, ExportTarget};
use crate::context::Ctx;
use crate::exit::{Kind, tagged, tagged_hint};
use crate::export::github::{self, GithubOptions, WorkflowError};
use crate::export::make::{self, MakeOptions};
use crate::export::slurm::{self, SlurmOptions};
use crate::export::{Invocation, Resources, quote};
use crate::state::agent::SlurmSettings;
use crate::state::fs;
use crate::state::plan::Plan;
use crate::state::store::Store;
use crate::taskmaster::Output;

/// Runs the command.
pub fn run(ctx: &Ctx, args: &ExportArgs) -> Result<u8> {
    check_flags(args)?;
    let store = ctx.store()?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let plan = store.load_plan(&plan_id)?;
    match args.to {
        ExportTarget::Taskmaster => taskmaster(ctx, &store, &plan, args),
        ExportTarget::Make | ExportTarget::Slurm | ExportTarget::GithubActions => {
            dag(ctx, &store, &plan, args)
        }
    }
}

/// `--to make|slurm|github-actions`: writes the plan's DAG for the executor.
fn dag(ctx: &Ctx, store: &Store, plan: &Plan, args: &ExportArgs) -> Result<u8> {
    let plan_id = plan.id.clone();
    let settings = SlurmSettings {
        partition: args.partition.clone(),
        time: args.time.clone(),
        cpus_per_task: args.cpus_per_task,
        mem: args.mem.clone(),
    };
    if let Some((key, problem)) = settings.problem() {
        return Err(tagged(
            Kind::Usage,
            format!("`--{}`: {problem}", key.replace('_', "-")),
        ));
    }
    let defaults = Resources {
        partition: settings.partition,
        time: settings.time,
        cpus_per_task: settings.cpus_per_task,
        mem: settings.mem,
    };
    let export = crate::export::load::load(store, plan, &defaults)?;
    let program = args.nexus.clone().unwrap_or_else(|| "nexus".to_string());
    let root = std::path::absolute(store.root())
        .with_context(|| format!("failed to resolve `{}`", store.root().display()))?;
    let project = store.project_root();
    let text = match args.to {
        ExportTarget::Make => {
            let dir = ctx.dir_flag.as_ref().map(|_| text_of(&root)).transpose()?;
            make::makefile(
                &export,
                &MakeOptions {
                    invocation: Invocation {
                        program: embeddable("--nexus", &program)?,
                        dir,
                    },
                },
            )
        }
        ExportTarget::Slurm => slurm::script(
            &export,
            &SlurmOptions {
                invocation: Invocation {
                    program: embeddable("--nexus", &program)?,
                    dir: Some(text_of(&root)?),
                },
                workdir: text_of(&project)?,
                log_dir: text_of(&root.join("logs").join("slurm").join(&plan_id))?,
                reconcile: Resources {
                    partition: defaults.partition.clone(),
                    time: Some("10".to_string()),
                    cpus_per_task: Some(1),
                    mem: None,
                },
            },
        ),
        ExportTarget::GithubActions => {
            let options = GithubOptions {
                invocation: Invocation {
                    program: embeddable("--nexus", &program)?,
                    dir: None,
                },
                runs_on: embeddable(
                    "--runs-on",
                    args.runs_on.as_deref().unwrap_or("ubuntu-latest"),
                )?,
                secrets: if args.secrets.is_empty() {
                    vec!["ANTHROPIC_API_KEY".to_string()]
                } else {
                    args.secrets.clone()
                },
                setup: args
                    .setup
                    .iter()
                    .map(|command| {
                        // A command may span lines; other control
                        // characters have no place in YAML.
                        if command
                            .chars()
                            .any(|c| c.is_control() && c != '\n' && c != '\t')
                        {
                            embeddable("--setup", command)
                        } else {
                            Ok(command.clone())
                        }
                    })
                    .collect::<Result<_>>()?,
                working_directory: repository_subdir(&project)?,
            };
            github::workflow(&export, &options).map_err(|error| match error {
                WorkflowError::TooManyJobs(message) => tagged_hint(
                    Kind::Usage,
                    message,
                    "`nexus export --to make` runs any number of tasks, with `make -jN` inside one job; or split the plan",
                ),
                WorkflowError::SecretName(message) => tagged(Kind::Usage, message),
            })?
        }
        ExportTarget::Taskmaster => unreachable!("`--to taskmaster` is written by `taskmaster`"),
    };
    match args
        .output
        .as_deref()
        .filter(|path| *path != Path::new("-"))
    {
        Some(path) => {
            let path = ctx.cwd.join(path);
            write_output(&path, &text, args.to == ExportTarget::Slurm)?;
            ctx.ui.note(&format!(
                "wrote `{}`: {} tasks of plan `{plan_id}`",
                path.display(),
                export.tasks.len()
            ));
        }
        None => ctx.ui.out(&text)?,
    }
    Ok(crate::exit::OK)
}

/// `--to taskmaster`: writes the statuses the plan's tasks reached into the
/// Task Master file it was imported from (or `-o FILE`, or stdout).
fn taskmaster(ctx: &Ctx, store: &Store, plan: &Plan, args: &ExportArgs) -> Result<u8> {
    let output = match args.output.as_deref() {
        None => Output::InPlace,
        Some(path) if path == Path::new("-") => Output::Stdout,
        Some(path) => Output::File(ctx.cwd.join(path)),
    };
    let written = crate::taskmaster::write_back(store, plan, output)?;
    let Some(destination) = &written.destination else {
        return ctx.ui.out(&written.text).map(|()| crate::exit::OK);
    };
    let unchanged = std::fs::read(destination).is_ok_and(|bytes| bytes == written.text.as_bytes());
    fs::write_named(destination, written.text.as_bytes())?;
    let what = format!(
        "the statuses of {} tasks of plan `{}` (tag `{}`)",
        written.statuses.len(),
        plan.id,
        written.tag
    );
    ctx.ui.note(&if unchanged {
        format!("`{}` already holds {what}", destination.display())
    } else {
        format!("wrote {what} into `{}`", destination.display())
    });
    Ok(crate::exit::OK)
}

/// Refuses options of another executor than `--to`'s.
fn check_flags(args: &ExportArgs) -> Result<()> {
    let (slurm, github) = (ExportTarget::Slurm, ExportTarget::GithubActions);
    let flags = [
        ("--partition", args.partition.is_some(), slurm, "slurm"),
        ("--time", args.time.is_some(), slurm, "slurm"),
        (
            "--cpus-per-task",
            args.cpus_per_task.is_some(),
            slurm,
            "slurm",
        ),
        ("--mem", args.mem.is_some(), slurm, "slurm"),
        (
            "--runs-on",
            args.runs_on.is_some(),
            github,
            "github-actions",
        ),
        (
            "--secret",
            !args.secrets.is_empty(),
            github,
            "github-actions",
        ),
        ("--setup", !args.setup.is_empty(), github, "github-actions"),
    ];
    if args.to == ExportTarget::Taskmaster && args.nexus.is_some() {
        return Err(tagged(
            Kind::Usage,
            "`--nexus` is an option of `--to make`, `slurm` and `github-actions` only",
        ));
    }
    match flags
        .iter()
        .find(|(_, given, owner, _)| *given && *owner != args.to)
    {
        Some((flag, _, _, name)) => Err(tagged(
            Kind::Usage,
            format!("`{flag}` is an option of `--to {name}` only"),
        )),
        None => Ok(()),
    }
}

/// Returns a path as text for an exported file, refusing what no such file
/// can carry (non-UTF-8, control characters).
fn text_of(path: &Path) -> Result<String> {
    let Some(text) = path.to_str() else {
        return Err(anyhow::anyhow!(
            "path `{}` is not UTF-8, which an exported file cannot name",
            path.display()
        ));
    };
    embeddable("a path", text)
}

/// Returns `value` when an exported file can embed it (no control
/// characters, which would end a line of make, YAML or a here-document).
fn embeddable(what: &str, value: &str) -> Result<String> {
    if quote::has_control(value) {
        return Err(tagged(
            Kind::Usage,
            format!(
                "{what} `{}` holds a control character",
                value.escape_debug()
            ),
        ));
    }
    Ok(value.to_string())
}

/// Returns the project root relative to the git repository holding it, or
/// `None` when it is the repository root (or not in one).
fn repository_subdir(project: &Path) -> Result<Option<String>> {
    let Some(repository) = project.ancestors().find(|dir| dir.join(".git").exists()) else {
        return Ok(None);
    };
    match project.strip_prefix(repository) {
        Ok(relative) if relative.as_os_str().is_empty() => Ok(None),
        Ok(relative) => Ok(Some(text_of(relative)?)),
        Err(_) => Ok(None),
    }
}

/// Writes `text` into exactly `path` (see `fs::write_named`); a new script
/// is made executable by whoever may read it.
fn write_output(path: &Path, text: &str, script: bool) -> Result<()> {
    let created = fs::write_named(path, text.as_bytes())?;
    if script && created {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("failed to read `{}`", path.display()))?
            .permissions()
            .mode();
        std::fs::set_permissions(
            path,
            std::fs::Permissions::from_mode(mode | ((mode & 0o444) >> 2)),
        )
        .with_context(|| format!("failed to make `{}` executable", path.display()))?;
    }
    Ok(())
}
