//! Builds the [`Report`] of one plan from a [`Snapshot`] of `.nexus`, the
//! plan's messages and result files, and the one estimator
//! (`plan::estimate`, through [`PlanGraph`]). Readers take no lock; a file
//! that does not parse becomes a problem in the report, never an error.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::dashboard::snapshot::{LoadedPlan, Problem, Snapshot};
use crate::picture::graph::PlanGraph;
use crate::plan::estimate::{self, History};
use crate::report::flow::{self, Answer};
use crate::report::model::{
    AgentReport, AnswerReport, AttemptReport, Bar, Item, Lane, PlanSummary, REPORT_SCHEMA, Report,
    Summary, TaskReport, Timeline, UsageReport,
};
use crate::state::store::Store;
use crate::state::task::{Attempt, TaskRecord};
use crate::state::usage::Usage;
use crate::time::Timestamp;

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Returns the instance of each (agent, session): from the messages'
/// parties and the session records.
fn instances_by_session(
    snapshot: &Snapshot,
    messages: &flow::Loaded,
) -> BTreeMap<(String, String), u32> {
    let mut map = BTreeMap::new();
    for session in &snapshot.sessions {
        map.insert(
            (session.agent_id.clone(), session.session_id.clone()),
            session.instance,
        );
    }
    for (_, message) in &messages.messages {
        for party in [&message.from, &message.to] {
            if let (Some(session), Some(instance)) = (&party.session_id, party.instance_id) {
                map.insert((party.agent_id.clone(), session.clone()), instance);
            }
        }
    }
    map
}

/// Builds the report of plan `plan_id` (an exact id) at `now`.
pub fn report(snapshot: &Snapshot, store: &Store, plan_id: &str, now: Timestamp) -> Result<Report> {
    let loaded = crate::dashboard::detail::loaded_plan(snapshot, store, plan_id)?;
    let graph = PlanGraph::build(loaded, &History::from_store(store))?;
    let mut problems = snapshot.problems.clone();
    let messages = flow::load(store, &[plan_id.to_string()])?;
    problems.extend(messages.problems.iter().cloned());
    let answers = flow::answers(&messages);
    let sessions = instances_by_session(snapshot, &messages);
    let tasks = task_reports(loaded, &graph, &answers, &sessions, store, &mut problems);
    let agents = agent_reports(snapshot, loaded, &tasks);
    let timeline = timeline(&tasks, &agents, now);
    let summary = summary(
        snapshot,
        store,
        loaded,
        &graph,
        &tasks,
        &timeline,
        &mut problems,
    );
    let collect = |pick: fn(&AnswerReport) -> &Vec<String>| -> Vec<Item> {
        tasks
            .iter()
            .flat_map(|task| {
                task.answer.iter().flat_map(move |answer| {
                    pick(answer).iter().map(move |text| Item {
                        task_id: task.id.clone(),
                        agent: task.agent.clone(),
                        text: text.clone(),
                    })
                })
            })
            .collect()
    };
    let plan = &loaded.plan;
    Ok(Report {
        schema: REPORT_SCHEMA,
        generated_at: now,
        plan: PlanSummary {
            id: plan.id.clone(),
            request: plan.request.clone(),
            planner: plan.planner.clone(),
            model: plan.model.clone(),
            priority: plan.priority,
            created_at: plan.created_at,
            deadline: plan.deadline.clone(),
            context: plan.context.clone(),
        },
        summary,
        questions: collect(|answer| &answer.questions),
        next_steps: collect(|answer| &answer.next_steps),
        recommendations: collect(|answer| &answer.recommendations),
        tasks,
        agents,
        timeline,
        problems,
        graph,
    })
}

fn attempt_report(attempt: &Attempt, instance: u32) -> AttemptReport {
    AttemptReport {
        number: attempt.number,
        agent: attempt.agent.clone(),
        instance,
        started_at: attempt.started_at,
        finished_at: attempt.finished_at,
        duration_ms: crate::dashboard::panel::attempt_duration(attempt).map(millis),
        outcome: attempt.outcome,
        reason: attempt.reason.clone(),
        usage: attempt.usage().into(),
        verification: attempt.verification.clone(),
    }
}

fn task_reports(
    loaded: &LoadedPlan,
    graph: &PlanGraph,
    answers: &BTreeMap<String, Answer>,
    sessions: &BTreeMap<(String, String), u32>,
    store: &Store,
    problems: &mut Vec<Problem>,
) -> Vec<TaskReport> {
    let plan = &loaded.plan;
    plan.tasks
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let record = loaded
                .tasks
                .get(index)
                .and_then(|task| task.record.as_ref());
            let node = &graph.nodes[index];
            let attempts: Vec<AttemptReport> = record
                .map(|record| {
                    let count = record.attempts.len();
                    record
                        .attempts
                        .iter()
                        .enumerate()
                        .map(|(position, attempt)| {
                            let instance = attempt
                                .session_id
                                .as_ref()
                                .and_then(|session| {
                                    sessions.get(&(attempt.agent.clone(), session.clone()))
                                })
                                .copied()
                                .or_else(|| {
                                    (position + 1 == count).then_some(record.instance).flatten()
                                })
                                .unwrap_or(0);
                            attempt_report(attempt, instance)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let result_path = store.result_path(&plan.id, &spec.id);
            let result = match store.load_result(&plan.id, &spec.id) {
                Ok(text) => text,
                Err(error) => {
                    problems.push(Problem::new(&result_path, &error));
                    None
                }
            };
            TaskReport {
                id: spec.id.clone(),
                title: spec.title.clone(),
                task_type: spec.task_type,
                priority: spec.priority,
                agent: node.agent.clone(),
                state: node.state,
                depends_on: spec.depends_on.clone(),
                estimate_ms: node.estimate_ms,
                critical: node.critical,
                started_at: record.and_then(|record| record.started_at),
                finished_at: record.and_then(|record| record.finished_at),
                took_ms: node.took_ms,
                usage: record.map(TaskRecord::usage).unwrap_or_default().into(),
                reason: record.and_then(|record| record.reason.clone()),
                attempts,
                answer: answers.get(&spec.id).map(AnswerReport::from_answer),
                result_file: result_path.display().to_string(),
                result,
            }
        })
        .collect()
}

fn agent_reports(
    snapshot: &Snapshot,
    loaded: &LoadedPlan,
    tasks: &[TaskReport],
) -> Vec<AgentReport> {
    let mut order: Vec<String> = Vec::new();
    let mut note = |agent: &str| {
        if !order.iter().any(|known| known == agent) {
            order.push(agent.to_string());
        }
    };
    for (spec, task) in loaded.plan.tasks.iter().zip(tasks) {
        if let Some(agent) = &spec.agent {
            note(agent);
        }
        for attempt in &task.attempts {
            note(&attempt.agent);
        }
    }
    order
        .into_iter()
        .map(|id| {
            let known = snapshot.agents.iter().find(|agent| agent.id == id);
            let mut report = AgentReport {
                name: known
                    .and_then(|agent| agent.agent.as_ref())
                    .map_or_else(|| id.clone(), |agent| agent.name.clone()),
                instances: known.map_or(1, crate::dashboard::snapshot::LoadedAgent::instances),
                id,
                tasks: Vec::new(),
                attempts: 0,
                failed_attempts: 0,
                busy_ms: 0,
                usage: UsageReport::default(),
            };
            let mut used = Usage::default();
            for task in tasks {
                for attempt in task
                    .attempts
                    .iter()
                    .filter(|attempt| attempt.agent == report.id)
                {
                    if !report.tasks.contains(&task.id) {
                        report.tasks.push(task.id.clone());
                    }
                    report.attempts += 1;
                    report.failed_attempts += usize::from(attempt.failed());
                    report.busy_ms = report
                        .busy_ms
                        .saturating_add(attempt.duration_ms.unwrap_or(0));
                    used.add(&attempt.usage.into());
                }
            }
            report.usage = used.into();
            report
        })
        .collect()
}

fn timeline(tasks: &[TaskReport], agents: &[AgentReport], now: Timestamp) -> Timeline {
    let end_of =
        |attempt: &AttemptReport| attempt.finished_at.unwrap_or(now).max(attempt.started_at);
    let all = || tasks.iter().flat_map(|task| task.attempts.iter());
    let start = all().map(|attempt| attempt.started_at).min();
    let end = all().map(end_of).max();
    let span_ms = match (start, end) {
        (Some(start), Some(end)) => millis(start.until(end)).max(1),
        _ => 1,
    };
    let mut lanes: Vec<Lane> = Vec::new();
    for agent in agents {
        let used = all()
            .filter(|attempt| attempt.agent == agent.id)
            .map(|attempt| attempt.instance + 1)
            .max()
            .unwrap_or(0);
        for instance in 0..agent.instances.max(used).max(1) {
            lanes.push(Lane {
                agent: agent.id.clone(),
                instance,
                bars: Vec::new(),
            });
        }
    }
    if let Some(origin) = start {
        for (task_index, task) in tasks.iter().enumerate() {
            for attempt in &task.attempts {
                let Some(lane) = lanes
                    .iter_mut()
                    .find(|lane| lane.agent == attempt.agent && lane.instance == attempt.instance)
                else {
                    continue;
                };
                lane.bars.push(Bar {
                    task_id: task.id.clone(),
                    task_index,
                    attempt: attempt.number,
                    start_ms: millis(origin.until(attempt.started_at)),
                    end_ms: millis(origin.until(end_of(attempt))),
                    running: attempt.finished_at.is_none(),
                    duration_ms: attempt.duration_ms,
                    outcome: attempt.outcome,
                    reason: attempt.reason.clone(),
                    cost_usd: attempt.usage.cost_usd,
                    unpriced_turns: attempt.usage.unpriced_turns,
                });
            }
        }
    }
    for lane in &mut lanes {
        lane.bars
            .sort_by_key(|bar| (bar.start_ms, bar.task_index, bar.attempt));
    }
    Timeline {
        start,
        end,
        span_ms,
        lanes,
    }
}

fn summary(
    snapshot: &Snapshot,
    store: &Store,
    loaded: &LoadedPlan,
    graph: &PlanGraph,
    tasks: &[TaskReport],
    timeline: &Timeline,
    problems: &mut Vec<Problem>,
) -> Summary {
    let mut by_state: BTreeMap<String, usize> = crate::dashboard::panel::SHOWN_STATES
        .iter()
        .map(|state| ((*state).to_string(), 0))
        .collect();
    for task in tasks {
        *by_state.entry(task.state.to_string()).or_insert(0) += 1;
    }
    let attempts: Vec<&AttemptReport> =
        tasks.iter().flat_map(|task| task.attempts.iter()).collect();
    let estimated_ms = match store.load_config() {
        Ok(config) => {
            let weights: Vec<std::time::Duration> = graph
                .nodes
                .iter()
                .map(|node| std::time::Duration::from_millis(node.estimate_ms))
                .collect();
            let instances = |agent: &str| {
                snapshot
                    .agents
                    .iter()
                    .find(|known| known.id == agent)
                    .map_or(1, crate::dashboard::snapshot::LoadedAgent::instances)
            };
            let slots = estimate::agent_slots(&loaded.plan, &instances);
            crate::plan::graph::Graph::new(&loaded.plan)
                .ok()
                .map(|plan_graph| {
                    let plan_graph = plan_graph.with_weights(&weights);
                    let parallel = usize::try_from(config.run.parallel).unwrap_or(1);
                    millis(estimate::makespan(&plan_graph, &weights, parallel, &slots))
                })
        }
        Err(error) => {
            problems.push(Problem::new(&store.config_path(), &error));
            None
        }
    };
    Summary {
        tasks: tasks.len(),
        by_state,
        attempts: attempts.len(),
        failed_attempts: attempts.iter().filter(|attempt| attempt.failed()).count(),
        retries: tasks
            .iter()
            .map(|task| task.attempts.len().saturating_sub(1))
            .sum(),
        usage: Usage::sum(
            &tasks
                .iter()
                .map(|task| Usage::from(task.usage))
                .collect::<Vec<_>>(),
        )
        .into(),
        agent_time_ms: attempts
            .iter()
            .filter_map(|attempt| attempt.duration_ms)
            .fold(0, u64::saturating_add),
        started_at: timeline.start,
        finished_at: timeline.end,
        wall_ms: timeline.start.map(|_| timeline.span_ms),
        estimated_ms,
        critical_path: graph.critical_path.clone(),
        critical_path_ms: graph.critical_path_ms,
    }
}
