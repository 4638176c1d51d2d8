//! `nexus export --to github-actions`: a workflow with one job per task
//! (`nexus run PLAN --task T`) and `needs:` from its dependencies, plus a
//! last `reconcile` job.
//!
//! - State: every runner is a fresh machine. A job downloads the artifacts
//!   of the tasks finished before it (`nexus-<plan>-task-*`, merged) over
//!   the checkout's `.nexus`, runs its task, and uploads only what it wrote:
//!   its task record, result, messages and transcript (each file is one
//!   task's, so merging never overwrites another's), its agent's session
//!   record, and the lines it appended to an agent's memory, as a separate
//!   part that later jobs append (memory is one file per agent, shared by
//!   parallel jobs). A session record from another runner cannot be resumed
//!   (another host), so the next job of that agent recovers: a fresh
//!   session with a recap from the memory (which of two parallel jobs'
//!   records wins the merge does not matter).
//! - Reconcile: GitHub skips the dependents of a failed job; the
//!   `reconcile` job (`if: always()`, needing every task) applies every
//!   artifact, runs `nexus reconcile PLAN` so the skipped tasks read
//!   `blocked`, and uploads the whole plan state as `nexus-<plan>-state`.
//! - Integration branch (with workspaces, `nexus/<plan>`): a job fetches it
//!   before its task when origin has it and pushes it afterwards with
//!   `--force-with-lease` against the tip it fetched; a refused push fetches
//!   the new tip, merges it and tries again (5 attempts). Without workspaces
//!   the branch never exists and both steps do nothing.
//! - Secrets are referenced by name only (`${{ secrets.NAME }}`, in the
//!   task step's environment); the only plan values in the file are ids,
//!   never task text, in which GitHub would evaluate `${{ … }}`.
//! - GitHub has no priorities between jobs; a workflow holds at most
//!   [`MAX_JOBS`] jobs, so a plan of more than `MAX_JOBS - 1` tasks is
//!   refused (run it with `--to make` inside one job instead).

use std::fmt::Write as _;

use crate::export::quote;
use crate::export::{Export, Invocation};

/// The most jobs GitHub runs in one workflow.
pub const MAX_JOBS: usize = 256;

/// Options of the workflow writer.
#[derive(Debug, Clone)]
pub struct GithubOptions {
    /// How steps call nexus (no `--dir`: the checkout's `.nexus` is found
    /// from the working directory).
    pub invocation: Invocation,
    /// The runner label (`runs-on`).
    pub runs_on: String,
    /// Names of the repository secrets each task step gets as environment
    /// variables of the same name.
    pub secrets: Vec<String>,
    /// Shell commands run before nexus in every job (install nexus and the
    /// agent's CLI); none when the runner has them.
    pub setup: Vec<String>,
    /// The project root relative to the repository root, when it is not
    /// the repository root.
    pub working_directory: Option<String>,
}

/// Returns the job id of task `id`: `task-` and the id with `_` written
/// `__`, `.` written `_0` and an upper-case letter `X` written `_x`, so
/// distinct ids never share a job id (GitHub compares them ignoring case).
pub fn job_id(id: &str) -> String {
    let mut job = String::from("task-");
    for c in id.chars() {
        match c {
            '_' => job.push_str("__"),
            '.' => job.push_str("_0"),
            c if c.is_ascii_uppercase() => {
                job.push('_');
                job.push(c.to_ascii_lowercase());
            }
            c => job.push(c),
        }
    }
    job
}

/// Returns whether `name` can be a repository secret's name.
fn is_secret_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.to_ascii_uppercase().starts_with("GITHUB_")
}

/// Appends `script` as a `run: |` block at `indent` spaces.
fn run_block(text: &mut String, indent: usize, script: &str) {
    let pad = " ".repeat(indent);
    let _ = writeln!(text, "{pad}run: |");
    for line in script.lines() {
        if line.is_empty() {
            text.push('\n');
        } else {
            let _ = writeln!(text, "{pad}  {line}");
        }
    }
}

/// The script that lays the downloaded state over the checkout's `.nexus`,
/// fetches the integration branch when origin has it, and notes what the
/// task will have to upload (a time mark, the memory files' sizes).
fn prepare_script(branch: &str) -> String {
    format!(
        r#"in="$RUNNER_TEMP/nexus-in"
if [ -d "$in" ]; then
  for part in plans messages logs sessions; do
    if [ -d "$in/$part" ]; then
      mkdir -p ".nexus/$part"
      cp -R "$in/$part/." ".nexus/$part/"
    fi
  done
  # Memory lines each finished task appended, oldest part first.
  for dir in "$in"/memory-parts/*/; do
    [ -d "$dir" ] || continue
    agent=$(basename "$dir")
    mkdir -p .nexus/memory
    for part in "$dir"*.jsonl; do
      [ -f "$part" ] && cat "$part" >> ".nexus/memory/$agent.jsonl"
    done
  done
fi
mkdir -p "$RUNNER_TEMP/nexus-sizes"
for file in .nexus/memory/*.jsonl; do
  [ -f "$file" ] || continue
  size=$(wc -c < "$file")
  echo "$size" > "$RUNNER_TEMP/nexus-sizes/$(basename "$file")"
done
touch "$RUNNER_TEMP/nexus-mark"
# The integration branch, when workspaces made one (harmless otherwise).
branch={branch}
if git ls-remote --exit-code --heads origin "refs/heads/$branch" > /dev/null 2>&1; then
  git fetch --quiet origin "+refs/heads/$branch:refs/remotes/origin/$branch"
  git branch --force "$branch" "refs/remotes/origin/$branch"
fi
"#,
        branch = quote::shell(branch),
    )
}

/// The script that copies what the task wrote into `$RUNNER_TEMP/nexus-out`.
fn collect_script(task: &str) -> String {
    format!(
        r#"out="$RUNNER_TEMP/nexus-out"
rm -rf "$out"
mkdir -p "$out"
mark="$RUNNER_TEMP/nexus-mark"
[ -f "$mark" ] || exit 0
cd .nexus
for part in plans messages logs sessions; do
  [ -d "$part" ] || continue
  find "$part" -type f -newer "$mark" ! -name '.tmp*' | while IFS= read -r file; do
    mkdir -p "$out/$(dirname "$file")"
    cp "$file" "$out/$file"
  done
done
stamp=$(date +%s%N)
for file in memory/*.jsonl; do
  [ -f "$file" ] || continue
  agent=$(basename "$file" .jsonl)
  size=$(cat "$RUNNER_TEMP/nexus-sizes/$agent.jsonl" 2> /dev/null || echo 0)
  if [ "$(wc -c < "$file")" -gt "$size" ]; then
    mkdir -p "$out/memory-parts/$agent"
    tail -c +"$((size + 1))" "$file" > "$out/memory-parts/$agent/$stamp-"{task}.jsonl
  fi
done
"#,
        task = quote::shell(task),
    )
}

/// The script that pushes the integration branch, merging again when the
/// push is refused.
fn push_script(branch: &str) -> String {
    format!(
        r#"branch={branch}
if ! git rev-parse --verify --quiet "refs/heads/$branch" > /dev/null; then
  echo "no integration branch $branch: nothing to push"
  exit 0
fi
expected=$(git rev-parse --verify --quiet "refs/remotes/origin/$branch" || true)
attempt=1
while ! git push --quiet --force-with-lease="refs/heads/$branch:$expected" origin "refs/heads/$branch:refs/heads/$branch"; do
  if [ "$attempt" -ge 5 ]; then
    echo "::error::could not push $branch after $attempt attempts"
    exit 1
  fi
  attempt=$((attempt + 1))
  # Someone else advanced it: merge their tip and try again.
  git fetch --quiet origin "+refs/heads/$branch:refs/remotes/origin/$branch"
  expected=$(git rev-parse "refs/remotes/origin/$branch")
  merge="$RUNNER_TEMP/nexus-merge"
  rm -rf "$merge"
  git worktree add --quiet "$merge" "$branch"
  if ! git -C "$merge" -c user.name='github-actions[bot]' -c user.email='41898282+github-actions[bot]@users.noreply.github.com' merge --quiet --no-edit "refs/remotes/origin/$branch"; then
    git -C "$merge" merge --abort || true
    git worktree remove --force "$merge"
    echo "::error::merging origin's $branch conflicts with this task's merge"
    exit 1
  fi
  git worktree remove --force "$merge"
  sleep "$attempt"
done
"#,
        branch = quote::shell(branch),
    )
}

/// Appends the steps every job starts with: checkout, the finished tasks'
/// state, the setup commands.
fn common_steps(text: &mut String, export: &Export, options: &GithubOptions, download: bool) {
    let plan = &export.plan_id;
    text.push_str(
        "    steps:\n      - uses: actions/checkout@v6\n        with:\n          fetch-depth: 0\n",
    );
    if download {
        let _ = write!(
            text,
            "      - name: download the state of finished tasks\n        \
             uses: actions/download-artifact@v7\n        with:\n          \
             pattern: {}\n          path: ${{{{ runner.temp }}}}/nexus-in\n          \
             merge-multiple: true\n",
            quote::yaml(&format!("nexus-{plan}-task-*"))
        );
    }
    text.push_str("      - name: lay the state over .nexus\n");
    run_block(text, 8, &prepare_script(&format!("nexus/{plan}")));
    if !options.setup.is_empty() {
        text.push_str("      - name: setup\n");
        run_block(text, 8, &options.setup.join("\n"));
    }
}

fn nexus_command(options: &GithubOptions, arguments: &[&str]) -> String {
    let mut line = format!("{} -q", quote::shell(&options.invocation.program));
    if let Some(dir) = &options.invocation.dir {
        let _ = write!(line, " --dir {}", quote::shell(dir));
    }
    for argument in arguments {
        line.push(' ');
        line.push_str(&quote::shell(argument));
    }
    line
}

/// Why a workflow cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowError {
    /// The plan has more tasks than a workflow has jobs for (the message).
    TooManyJobs(String),
    /// A secret name GitHub does not allow (the message).
    SecretName(String),
}

impl std::fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkflowError::TooManyJobs(message) | WorkflowError::SecretName(message) => {
                f.write_str(message)
            }
        }
    }
}

/// Returns the workflow for `export`, or why it cannot be written.
pub fn workflow(export: &Export, options: &GithubOptions) -> Result<String, WorkflowError> {
    let plan = &export.plan_id;
    if export.tasks.len() > MAX_JOBS - 1 {
        return Err(WorkflowError::TooManyJobs(format!(
            "plan `{plan}` has {} tasks, but a GitHub Actions workflow runs at most {MAX_JOBS} jobs ({} tasks and the reconcile job)",
            export.tasks.len(),
            MAX_JOBS - 1
        )));
    }
    if let Some(name) = options.secrets.iter().find(|name| !is_secret_name(name)) {
        return Err(WorkflowError::SecretName(format!(
            "`{name}` is not a secret name GitHub allows (letters, digits and `_`, not starting with a digit or `GITHUB_`)"
        )));
    }
    let mut text = format!(
        "# Generated by `nexus export {plan} --to github-actions`: plan `{plan}` as one\n\
         # job per task, each `nexus run {plan} --task T` (nexus keeps retries, budgets,\n\
         # sessions, verification and evidence), `needs:` from the dependencies.\n\
         # `.nexus` state goes from job to job as artifacts; the last job runs\n\
         # `nexus reconcile {plan}` and uploads the plan's state as `nexus-{plan}-state`.\n\
         # Needs: the plan, agents and config committed under `.nexus`; `nexus` and\n\
         # the agent's CLI on the runner (or `--setup` commands that install them).\n\
         name: {}\n\
         on:\n  workflow_dispatch:\n\
         permissions:\n  contents: write\n\
         concurrency:\n  group: {}\n  cancel-in-progress: false\n\
         defaults:\n  run:\n    shell: bash\n",
        quote::yaml(&format!("nexus plan {plan}")),
        quote::yaml(&format!("nexus-{plan}")),
    );
    if let Some(dir) = &options.working_directory {
        let _ = writeln!(text, "    working-directory: {}", quote::yaml(dir));
    }
    text.push_str("jobs:\n");
    for task in &export.tasks {
        let _ = write!(
            text,
            "  {}:\n    name: {}\n",
            job_id(&task.id),
            quote::yaml(&format!("{plan} / {}", task.id))
        );
        if !task.depends_on.is_empty() {
            let needs: Vec<String> = task.depends_on.iter().map(|dep| job_id(dep)).collect();
            let _ = writeln!(text, "    needs: [{}]", needs.join(", "));
        }
        let _ = writeln!(text, "    runs-on: {}", quote::yaml(&options.runs_on));
        common_steps(&mut text, export, options, !task.depends_on.is_empty());
        let _ = writeln!(
            text,
            "      - name: {}",
            quote::yaml(&format!("run task {}", task.id))
        );
        if !options.secrets.is_empty() {
            text.push_str("        env:\n");
            for name in &options.secrets {
                let _ = writeln!(text, "          {name}: ${{{{ secrets.{name} }}}}");
            }
        }
        let _ = writeln!(
            text,
            "        run: {}",
            nexus_command(options, &["run", plan, "--task", &task.id])
        );
        text.push_str("      - name: collect the state the task wrote\n        if: always()\n");
        run_block(&mut text, 8, &collect_script(&task.id));
        let _ = write!(
            text,
            "      - uses: actions/upload-artifact@v6\n        if: always()\n        with:\n          \
             name: {}\n          path: ${{{{ runner.temp }}}}/nexus-out\n          \
             if-no-files-found: warn\n          overwrite: true\n",
            quote::yaml(&format!("nexus-{plan}-task-{}", task.id))
        );
        text.push_str("      - name: push the integration branch\n");
        run_block(&mut text, 8, &push_script(&format!("nexus/{plan}")));
    }
    let _ = write!(
        text,
        "  reconcile:\n    name: {}\n",
        quote::yaml(&format!("{plan} / reconcile"))
    );
    if !export.tasks.is_empty() {
        let needs: Vec<String> = export.tasks.iter().map(|task| job_id(&task.id)).collect();
        let _ = writeln!(text, "    needs: [{}]", needs.join(", "));
    }
    let _ = writeln!(
        text,
        "    if: ${{{{ always() }}}}\n    runs-on: {}",
        quote::yaml(&options.runs_on)
    );
    common_steps(&mut text, export, options, !export.tasks.is_empty());
    let _ = writeln!(
        text,
        "      - name: mark the tasks that cannot run\n        run: {}",
        nexus_command(options, &["reconcile", plan])
    );
    text.push_str("      - name: collect the plan's state\n        if: always()\n");
    run_block(
        &mut text,
        8,
        &format!(
            r#"out="$RUNNER_TEMP/nexus-state"
rm -rf "$out"
mkdir -p "$out/plans"
cp -R .nexus/plans/{plan} "$out/plans/"
for part in messages memory; do
  [ -d ".nexus/$part" ] && cp -R ".nexus/$part" "$out/"
done
"#,
            plan = quote::shell(plan)
        ),
    );
    let _ = write!(
        text,
        "      - uses: actions/upload-artifact@v6\n        if: always()\n        with:\n          \
         name: {}\n          path: ${{{{ runner.temp }}}}/nexus-state\n          overwrite: true\n",
        quote::yaml(&format!("nexus-{plan}-state"))
    );
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{ExportTask, Resources};
    use crate::state::plan::Priority;

    fn export(count: usize) -> Export {
        Export {
            plan_id: "p".into(),
            tasks: (0..count)
                .map(|index| ExportTask {
                    id: format!("t{index}"),
                    depends_on: vec![],
                    priority: Priority::Medium,
                    agent: "a".into(),
                    agent_instances: 1,
                    resources: Resources::default(),
                })
                .collect(),
        }
    }

    fn options() -> GithubOptions {
        GithubOptions {
            invocation: Invocation {
                program: "nexus".into(),
                dir: None,
            },
            runs_on: "ubuntu-latest".into(),
            secrets: vec!["ANTHROPIC_API_KEY".into()],
            setup: vec![],
            working_directory: None,
        }
    }

    #[test]
    fn job_ids_are_distinct_ignoring_case() {
        let ids = ["a_b", "a.b", "aB", "ab", "a-b", "a__b", "A", "_a"];
        let jobs: Vec<String> = ids.iter().map(|id| job_id(id).to_lowercase()).collect();
        let unique: std::collections::BTreeSet<&String> = jobs.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{jobs:?}");
        assert_eq!(job_id("test_strategy"), "task-test__strategy");
        assert!(jobs.iter().all(|job| {
            job.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }));
    }

    #[test]
    fn the_job_cap_and_secret_names_are_enforced() {
        assert!(workflow(&export(MAX_JOBS - 1), &options()).is_ok());
        let error = workflow(&export(MAX_JOBS), &options()).unwrap_err();
        assert!(error.to_string().contains("at most 256 jobs"), "{error}");
        for bad in ["GITHUB_TOKEN", "1KEY", "A-B", ""] {
            let mut options = options();
            options.secrets = vec![bad.into()];
            assert!(workflow(&export(1), &options).is_err(), "{bad}");
        }
    }
}
