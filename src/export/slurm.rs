//! `nexus export --to slurm`: a POSIX shell script that submits one
//! `sbatch` job per task, each running `nexus run PLAN --task T`, and
//! prints the job ids.
//!
//! - Order: `--dependency=afterok:…` on the jobs of the task's dependencies
//!   with `--kill-on-invalid-dep=yes`, so Slurm cancels the dependents of a
//!   failed task instead of leaving them pending forever.
//! - Reconcile: a last job with `afterany` on every task's job (an `afterok`
//!   one would be cancelled too) runs `nexus reconcile PLAN`, which marks
//!   the cancelled tasks `blocked` in the store; `nexus status` reads only
//!   the store and never calls Slurm.
//! - Sessions: each agent instance has one session and a turn holds its
//!   lock, so a second job of the same instance would wait for it inside
//!   its allocation. The jobs of one agent are put in `instances` lanes, and
//!   each job also waits (`afterany`) for the previous job of its lane: no
//!   more of an agent's jobs run at once than it has sessions, and none
//!   starts only to wait. Lanes take the agent's tasks in the export's order
//!   (shallowest first), each into a free lane, else one whose last task it
//!   depends on anyway, else the one whose last task is shallowest.
//! - Priorities: Slurm's `--nice` (only ever lowering a job's priority):
//!   100 per step below the plan's most urgent priority, so an all-`medium`
//!   plan gets no `--nice` at all. Jobs are submitted in the export's order,
//!   most urgent first among equals.
//! - Names: `nexus:<plan>:<task>` (and `nexus-reconcile:<plan>`), for
//!   `squeue`.
//! - Submission is all or nothing: every job is submitted held and released
//!   together at the end; a failed `sbatch` cancels the jobs already
//!   submitted, so a half-submitted plan never runs.

use std::collections::BTreeMap;

use crate::export::quote;
use crate::export::{Export, Invocation, Resources};
use crate::state::plan::Priority;

/// Options of the Slurm writer.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// How jobs call nexus (with the absolute `--dir` of the shared store).
    pub invocation: Invocation,
    /// The directory every job runs in (`--chdir`): the project root.
    pub workdir: String,
    /// Where job output goes (`<dir>/<task>-<jobid>.out`).
    pub log_dir: String,
    /// Resources of the reconcile job (its partition, for one).
    pub reconcile: Resources,
}

/// Returns, for each task of `export`, the task before it in its agent
/// instance's lane (the job it also waits for).
pub fn lane_predecessors(export: &Export) -> Vec<Option<usize>> {
    let index = export.positions();
    let mut depth = vec![0usize; export.tasks.len()];
    for (position, task) in export.tasks.iter().enumerate() {
        depth[position] = task
            .depends_on
            .iter()
            .filter_map(|dep| index.get(dep.as_str()))
            .map(|&dep| depth[dep] + 1)
            .max()
            .unwrap_or(0);
    }
    // Per agent, the last task of each lane.
    let mut lanes: BTreeMap<&str, Vec<Option<usize>>> = BTreeMap::new();
    let mut previous = vec![None; export.tasks.len()];
    for (position, task) in export.tasks.iter().enumerate() {
        let agent_lanes = lanes
            .entry(task.agent.as_str())
            .or_insert_with(|| vec![None; task.agent_instances.max(1) as usize]);
        let deps: Vec<usize> = task
            .depends_on
            .iter()
            .filter_map(|dep| index.get(dep.as_str()).copied())
            .collect();
        // A free lane, or one whose last task this one waits for anyway,
        // costs nothing; else the lane whose last task is shallowest.
        let cost = |last: &Option<usize>| match *last {
            None => 0,
            Some(last) if deps.contains(&last) => 0,
            Some(last) => depth[last] + 1,
        };
        let lane = agent_lanes
            .iter()
            .enumerate()
            .min_by_key(|(lane, last)| (cost(last), *lane))
            .map_or(0, |(lane, _)| lane);
        previous[position] = agent_lanes[lane];
        agent_lanes[lane] = Some(position);
    }
    previous
}

/// Returns the `--nice` value of each priority present in the plan: 100 per
/// step below the most urgent one.
fn nice(export: &Export, priority: Priority) -> u32 {
    let rank = |priority: Priority| {
        Priority::ALL
            .iter()
            .position(|candidate| *candidate == priority)
            .unwrap_or(0)
    };
    let most_urgent = export
        .tasks
        .iter()
        .map(|task| rank(task.priority))
        .min()
        .unwrap_or(0);
    u32::try_from(rank(priority).saturating_sub(most_urgent)).unwrap_or(0) * 100
}

fn resource_options(resources: &Resources) -> Vec<String> {
    let mut options = Vec::new();
    if let Some(partition) = &resources.partition {
        options.push(format!("--partition={partition}"));
    }
    if let Some(time) = &resources.time {
        options.push(format!("--time={time}"));
    }
    if let Some(cpus) = resources.cpus_per_task {
        options.push(format!("--cpus-per-task={cpus}"));
    }
    if let Some(mem) = &resources.mem {
        options.push(format!("--mem={mem}"));
    }
    options
}

/// Returns the job script run by a job: one `exec` of nexus.
fn job_script(invocation: &Invocation, arguments: &[&str]) -> String {
    let mut line = format!("exec {} -q", quote::shell(&invocation.program));
    if let Some(dir) = &invocation.dir {
        line.push_str(&format!(" --dir {}", quote::shell(dir)));
    }
    for argument in arguments {
        line.push(' ');
        line.push_str(&quote::shell(argument));
    }
    format!("#!/bin/sh\n{line}\n")
}

/// Returns the submission script for `export`.
pub fn script(export: &Export, options: &SlurmOptions) -> String {
    let plan = &export.plan_id;
    let index = export.positions();
    let previous = lane_predecessors(export);
    // Slurm expands `%` in file names; `%%` is a literal one.
    let output_pattern = |name: &str| {
        format!(
            "--output={}/{name}-%j.out",
            options.log_dir.replace('%', "%%")
        )
    };
    let mut text = format!(
        r#"#!/bin/sh
# Generated by `nexus export {plan} --to slurm`: plan `{plan}` as one Slurm job
# per task, each `nexus run {plan} --task T` (nexus keeps retries, budgets,
# sessions, verification and evidence). A job starts after its dependencies'
# jobs succeeded (afterok); Slurm cancels the dependents of a failed task
# (--kill-on-invalid-dep=yes), and a last job (afterany on every task) runs
# `nexus reconcile {plan}` so `nexus status` shows them blocked. The jobs of
# one agent instance wait for each other (afterany), so none holds an
# allocation while it waits for that instance's session.
#
# Needs: every node sees the project and its `.nexus` at the same path, on a
# filesystem with working `flock` (locks are how nexus keeps one turn per
# session and one runner per task). Jobs get this shell's environment
# (sbatch's default), so run it where `nexus` and the agent's CLI are on
# PATH and the API key is set.
#
# Prints one line per job: `task TASK JOBID`, then `reconcile PLAN JOBID`.
# Every job is submitted held and released at the end; if a submission
# fails, the jobs already submitted are cancelled.
set -eu
mkdir -p {log_dir}
submitted=''
# submit LABEL SBATCH-OPTION...: submits the job script on stdin, held;
# sets `job` to its id.
submit() {{
  label=$1
  shift
  if ! out=$(sbatch --parsable --hold "$@"); then
    echo "nexus: sbatch failed for $label; cancelling the jobs submitted so far" >&2
    # shellcheck disable=SC2086
    [ -z "$submitted" ] || scancel $submitted
    exit 1
  fi
  job=${{out%%;*}}
  submitted="$submitted $job"
  echo "$label $job"
}}
"#,
        log_dir = quote::shell(&options.log_dir),
    );
    for (position, task) in export.tasks.iter().enumerate() {
        let mut arguments = vec![
            format!("--job-name=nexus:{plan}:{}", task.id),
            output_pattern(&task.id),
            format!("--chdir={}", options.workdir),
            "--kill-on-invalid-dep=yes".to_string(),
        ];
        let nice = nice(export, task.priority);
        if nice > 0 {
            arguments.push(format!("--nice={nice}"));
        }
        arguments.extend(resource_options(&task.resources));
        let mut line: Vec<String> =
            vec!["submit".into(), quote::shell(&format!("task {}", task.id))];
        line.extend(arguments.iter().map(|argument| quote::shell(argument)));
        let deps: Vec<usize> = task
            .depends_on
            .iter()
            .filter_map(|dep| index.get(dep.as_str()).copied())
            .collect();
        let mut dependency = Vec::new();
        if !deps.is_empty() {
            let ids: Vec<String> = deps.iter().map(|dep| format!(":$job_{dep}")).collect();
            dependency.push(format!("afterok{}", ids.concat()));
        }
        if let Some(lane) = previous[position].filter(|lane| !deps.contains(lane)) {
            dependency.push(format!("afterany:$job_{lane}"));
        }
        if !dependency.is_empty() {
            line.push(format!("\"--dependency={}\"", dependency.join(",")));
        }
        let script = job_script(
            &options.invocation,
            &["run", plan.as_str(), "--task", task.id.as_str()],
        );
        text.push_str(&format!(
            "# task `{}` (agent `{}`)\n{} <<'NEXUS_JOB'\n{script}NEXUS_JOB\njob_{position}=$job\n",
            task.id,
            task.agent,
            line.join(" ")
        ));
    }
    let mut line: Vec<String> = vec!["submit".into(), quote::shell(&format!("reconcile {plan}"))];
    let mut arguments = vec![
        format!("--job-name=nexus-reconcile:{plan}"),
        output_pattern("reconcile"),
        format!("--chdir={}", options.workdir),
    ];
    arguments.extend(resource_options(&options.reconcile));
    line.extend(arguments.iter().map(|argument| quote::shell(argument)));
    if !export.tasks.is_empty() {
        let ids: Vec<String> = (0..export.tasks.len())
            .map(|position| format!(":$job_{position}"))
            .collect();
        line.push(format!("\"--dependency=afterany{}\"", ids.concat()));
    }
    let script = job_script(&options.invocation, &["reconcile", plan.as_str()]);
    text.push_str(&format!(
        "# the reconcile job, after every task's job ended however it ended\n{} <<'NEXUS_JOB'\n{script}NEXUS_JOB\n",
        line.join(" ")
    ));
    text.push_str(
        "# Release them all at once.\n\
         # shellcheck disable=SC2086\n\
         if ! scontrol release \"$(echo $submitted | tr ' ' ',')\"; then\n  \
           echo \"nexus: releasing the jobs failed; cancelling them\" >&2\n  \
           scancel $submitted\n  \
           exit 1\n\
         fi\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::ExportTask;

    fn task(id: &str, deps: &[&str], agent: &str, instances: u32) -> ExportTask {
        ExportTask {
            id: id.into(),
            depends_on: deps.iter().map(|dep| (*dep).to_string()).collect(),
            priority: Priority::Medium,
            agent: agent.into(),
            agent_instances: instances,
            resources: Resources::default(),
        }
    }

    #[test]
    fn lanes_serialize_an_agent_instance_and_spread_over_instances() {
        let export = Export {
            plan_id: "p".into(),
            tasks: vec![
                task("a", &[], "aria", 1),
                task("b", &["a"], "code", 2),
                task("c", &["a"], "code", 2),
                task("d", &["a"], "code", 2),
                task("e", &["a"], "aria", 1),
                task("f", &["b", "c"], "code", 2),
            ],
        };
        let previous = lane_predecessors(&export);
        assert_eq!(previous[0], None);
        assert_eq!(previous[1], None, "b opens code's first lane");
        assert_eq!(
            previous[2], None,
            "c opens its second lane: b and c run together"
        );
        assert_eq!(previous[3], Some(1), "d waits for b's lane");
        assert_eq!(previous[4], Some(0), "aria has one session: e waits for a");
        assert_eq!(
            previous[5],
            Some(2),
            "f takes the lane of c, which it waits for anyway"
        );
    }

    #[test]
    fn nice_follows_priority_relative_to_the_most_urgent() {
        let mut export = Export {
            plan_id: "p".into(),
            tasks: vec![task("a", &[], "x", 1), task("b", &[], "x", 1)],
        };
        assert_eq!(nice(&export, Priority::Medium), 0);
        export.tasks[0].priority = Priority::High;
        export.tasks[1].priority = Priority::Low;
        assert_eq!(nice(&export, Priority::High), 0);
        assert_eq!(nice(&export, Priority::Low), 200);
    }

    #[test]
    fn odd_paths_are_quoted_and_percent_escaped() {
        let export = Export {
            plan_id: "p".into(),
            tasks: vec![task("a", &[], "x", 1)],
        };
        let options = SlurmOptions {
            invocation: Invocation {
                program: "/opt/it's/nexus".into(),
                dir: Some("/data/100% done/.nexus".into()),
            },
            workdir: "/data/100% done".into(),
            log_dir: "/data/100% done/.nexus/logs/slurm/p".into(),
            reconcile: Resources::default(),
        };
        let text = script(&export, &options);
        assert!(
            text.contains(
                r"exec '/opt/it'\''s/nexus' -q --dir '/data/100% done/.nexus' run p --task a"
            ),
            "{text}"
        );
        assert!(
            text.contains("'--output=/data/100%% done/.nexus/logs/slurm/p/a-%j.out'"),
            "{text}"
        );
        assert!(text.contains("'--chdir=/data/100% done'"), "{text}");
    }
}
