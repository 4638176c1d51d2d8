//! Planning end to end: choose the planner, ask it, validate, run the one
//! repair round, keep the raw answers under `logs/brain/`, and store a valid
//! plan (`plans/<id>/plan.json` plus one pending task file per task).
//!
//! Nothing is written under `plans/` unless the plan is valid.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use serde_json::{Value, json};

use crate::agents::binary;
use crate::brain::{builtin, claude, openai, prompt};
use crate::context::Ctx;
use crate::env_vars;
use crate::exit::{Kind, tagged, tagged_hint};
use crate::plan::create::invalid;
use crate::plan::validate;
use crate::state::agent::Agent;
use crate::state::config::{Config, PlannerKind, TokenField};
use crate::state::fs;
use crate::state::plan::{Priority, TaskSpec};
use crate::state::store::Store;

/// What the planner is asked to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    /// The request.
    pub request: String,
    /// The plan's priority (the default for tasks).
    pub priority: Priority,
    /// A deadline, as given.
    pub deadline: Option<String>,
    /// Context pairs.
    pub context: BTreeMap<String, String>,
}

/// A planner's valid answer.
#[derive(Debug, Clone)]
pub struct Drafted {
    /// The planner that ran (`builtin`, `openai`, `claude`).
    pub planner: PlannerKind,
    /// The model, for LLM planners.
    pub model: Option<String>,
    /// The tasks.
    pub tasks: Vec<TaskSpec>,
    /// Whether the repair round was needed.
    pub repaired: bool,
}

/// Returns the planner to use: the flag, else `NEXUS_PLANNER`, else config;
/// `auto` becomes `openai` when its key variable is set, else `builtin`.
/// (`NEXUS_PLANNER` is read here rather than by clap, so that it does not
/// conflict with `--from`.)
pub fn resolve_planner(
    ctx: &Ctx,
    config: &Config,
    flag: Option<PlannerKind>,
) -> Result<PlannerKind> {
    let from_env = match ctx.var(env_vars::NEXUS_PLANNER) {
        Some(text) => Some(PlannerKind::parse(text).ok_or_else(|| {
            tagged(
                Kind::Usage,
                format!(
                    "`{}` is `{text}`, not one of `auto`, `openai`, `claude`, `builtin`",
                    env_vars::NEXUS_PLANNER
                ),
            )
        })?),
        None => None,
    };
    Ok(match flag.or(from_env).unwrap_or(config.brain.planner) {
        PlannerKind::Auto if ctx.var(&config.brain.api_key_env).is_some() => PlannerKind::Openai,
        PlannerKind::Auto => PlannerKind::Builtin,
        other => other,
    })
}

/// Returns the path of raw planner answers: `logs/brain/<name>.json`
/// (`name` is the plan id, or `<plan id>.revision-<n>` for a revision).
pub fn log_path(store: &Store, name: &str) -> PathBuf {
    store.logs_dir().join("brain").join(format!("{name}.json"))
}

/// Who plans, and with what: what [`draft`] and [`ask_model`] take.
#[derive(Clone, Copy)]
pub struct Planning<'a> {
    /// The invocation context.
    pub ctx: &'a Ctx,
    /// The store (for the raw logs and a custom plan schema).
    pub store: &'a Store,
    /// The configuration (`[brain]`).
    pub config: &'a Config,
    /// The team the plan is for.
    pub agents: &'a [Agent],
    /// The planner that is asked.
    pub planner: PlannerKind,
    /// The model `--model` names, over the configured one.
    pub model_flag: Option<&'a str>,
}

/// Asks `planning.planner` for the tasks of `input`. `plan_id` names the raw
/// log; `notify` receives progress notes (retries, the repair round).
pub fn draft(
    planning: &Planning<'_>,
    input: &PlanInput,
    plan_id: &str,
    notify: &mut dyn FnMut(&str),
) -> Result<Drafted> {
    let agents = planning.agents;
    let agent_ids: Vec<String> = agents.iter().map(|agent| agent.id.clone()).collect();
    if matches!(planning.planner, PlannerKind::Builtin | PlannerKind::Auto) {
        let tasks = builtin::plan(input, agents);
        let problems = validate::check_tasks(&tasks, &agent_ids);
        if !problems.is_empty() {
            return Err(invalid("the `builtin` planner's plan", &problems, None));
        }
        return Ok(Drafted {
            planner: PlannerKind::Builtin,
            model: None,
            tasks,
            repaired: false,
        });
    }
    let check = |document: &Value| {
        validate::parse_plan(
            document,
            &agent_ids,
            input.priority,
            validate::MAX_TASKS,
            validate::Author::Model,
        )
        .map(|draft| draft.tasks)
    };
    let question = Question {
        user: prompt::user_prompt(input),
        check: &check,
        log_name: plan_id,
    };
    ask_model(planning, &question, notify)
}

/// Turns a planner's answer into valid tasks, or lists every problem.
pub type Check<'a> = dyn Fn(&Value) -> std::result::Result<Vec<TaskSpec>, Vec<String>> + 'a;

/// What an LLM planner is asked, and how its answer is checked.
pub struct Question<'a> {
    /// The user message (the system message is the team and the rules).
    pub user: String,
    /// Turns the answer's JSON into valid tasks, or lists every problem
    /// (sent back once for a corrected answer).
    pub check: &'a Check<'a>,
    /// The raw log's name under `logs/brain/` (without `.json`).
    pub log_name: &'a str,
}

/// Asks an LLM planner (`openai` or `claude`) `question`, with the one
/// repair round; keeps the raw answers in `logs/brain/`.
pub fn ask_model(
    planning: &Planning<'_>,
    question: &Question<'_>,
    notify: &mut dyn FnMut(&str),
) -> Result<Drafted> {
    let Planning {
        ctx,
        store,
        config,
        agents,
        planner,
        model_flag,
    } = *planning;
    let agent_ids: Vec<String> = agents.iter().map(|agent| agent.id.clone()).collect();
    match planner {
        PlannerKind::Builtin | PlannerKind::Auto => {
            Err(tagged(Kind::Usage, "the `builtin` planner asks no model"))
        }
        PlannerKind::Openai => {
            let model = model_flag.map_or_else(|| config.brain.model.clone(), str::to_string);
            let brain = &config.brain;
            let base_url = ctx
                .var(env_vars::OPENAI_BASE_URL)
                .map_or_else(|| brain.base_url.clone(), str::to_string);
            let client = openai::Client::new(openai::Settings {
                base_url,
                api_key: ctx.var(&brain.api_key_env).map(str::to_string),
                key_env: brain.api_key_env.clone(),
                model: model.clone(),
                connect_timeout: brain.connect_timeout.0,
                timeout: brain.timeout.0,
                max_retries: brain.max_retries,
                max_retry_wait: brain.max_retry_wait.0,
            });
            let endpoint = client.endpoint();
            let schema = custom_schema(store, config)?;
            let mut log = Vec::new();
            let result = converse(
                PlannerKind::Openai,
                &model,
                agents,
                question,
                |messages, notify| {
                    let body = request_body(config, &model, messages, &agent_ids, schema.as_ref());
                    let mut raw = Vec::new();
                    let answer = client.complete(&body, notify, &mut raw);
                    log.push(json!({"endpoint": endpoint, "request": body, "answers": raw}));
                    answer.map(|answer| match answer {
                        openai::Answer::Content(text) => (text, None),
                        openai::Answer::Truncated(text) => (
                            text,
                            Some(format!(
                                "the answer from `{endpoint}` was cut off at the token cap (`finish_reason` is `length`, `[brain] max_tokens` is {}): the plan is incomplete; use fewer tasks and shorter texts",
                                brain.max_tokens
                            )),
                        ),
                    })
                },
                notify,
            );
            finish(
                ctx.ui.redactor(),
                store,
                question.log_name,
                "openai",
                &log,
                result,
            )
        }
        PlannerKind::Claude => {
            let model =
                model_flag.map_or_else(|| config.brain.claude_model.clone(), str::to_string);
            let settings = claude_settings(ctx, store, config, &model)?;
            let mut log = Vec::new();
            let result = converse(
                PlannerKind::Claude,
                &model,
                agents,
                question,
                |messages, _notify| {
                    let prompt = flatten(messages);
                    let mut raw = Vec::new();
                    let answer = claude::ask(&settings, &prompt, &mut raw);
                    log.push(
                        json!({"program": settings.program, "prompt": prompt, "answers": raw}),
                    );
                    answer.map(|text| (text, None))
                },
                notify,
            );
            finish(
                ctx.ui.redactor(),
                store,
                question.log_name,
                "claude",
                &log,
                result,
            )
        }
    }
}

/// Reads `[brain] plan_schema` (a JSON Schema file, relative to the
/// `.nexus` directory), when set: it replaces the built-in schema in the
/// `json_schema` request, e.g. to pin a small local model to a fixed plan
/// shape. The plan is validated as always.
fn custom_schema(store: &Store, config: &Config) -> Result<Option<Value>> {
    let name = config.brain.plan_schema.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let path = store.root().join(name);
    let text = fs::read_to_string(&path)?;
    let schema: Value = serde_json::from_str(&text).map_err(|error| {
        crate::exit::tagged(
            crate::exit::Kind::StateInvalid,
            format!(
                "plan schema `{}` (`[brain] plan_schema`) is not JSON: {error}",
                path.display()
            ),
        )
    })?;
    if !schema.is_object() {
        return Err(crate::exit::tagged(
            crate::exit::Kind::StateInvalid,
            format!(
                "plan schema `{}` (`[brain] plan_schema`) is not a JSON object",
                path.display()
            ),
        ));
    }
    Ok(Some(schema))
}

/// Writes the raw log (always), and adds its path to an invalid-plan error.
fn finish(
    redactor: &crate::ui::Redactor,
    store: &Store,
    log_name: &str,
    planner: &str,
    log: &[Value],
    result: std::result::Result<Drafted, Failed>,
) -> Result<Drafted> {
    let path = log_path(store, log_name);
    // A server may echo the request's `Authorization` header: no key is
    // stored. The raw log is machine-local and owner-only.
    let written = fs::to_json_bytes(&json!({"schema": 1, "planner": planner, "calls": log}))
        .and_then(|bytes| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            fs::write_private(&path, redactor.redact(&text).as_bytes())
        });
    let shown = path.display().to_string();
    match result {
        Ok(drafted) => {
            written?;
            Ok(drafted)
        }
        Err(Failed::Brain(error)) => Err(error),
        Err(Failed::Invalid(problems)) => Err(invalid(
            &format!("the `{planner}` planner's plan"),
            &problems,
            written.is_ok().then_some(shown.as_str()),
        )),
    }
}

enum Failed {
    Brain(anyhow::Error),
    Invalid(Vec<String>),
}

/// Asks, validates, and on problems sends them back once for a corrected
/// plan. `ask` gets the conversation so far and returns the answer's text
/// and, when the answer is unusable as a whole (cut off), the problem.
fn converse<F>(
    planner: PlannerKind,
    model: &str,
    agents: &[Agent],
    question: &Question<'_>,
    mut ask: F,
    notify: &mut dyn FnMut(&str),
) -> std::result::Result<Drafted, Failed>
where
    F: FnMut(&[Value], &mut dyn FnMut(&str)) -> Result<(String, Option<String>)>,
{
    let mut messages = vec![
        json!({"role": "system", "content": prompt::system_prompt(agents)}),
        json!({"role": "user", "content": question.user}),
    ];
    for round in 0..2 {
        let (content, unusable) = ask(&messages, notify).map_err(Failed::Brain)?;
        let parsed = match unusable {
            Some(problem) => Err(problem),
            None => parse_answer(&content),
        };
        let problems = match parsed {
            Ok(document) => match (question.check)(&document) {
                Ok(tasks) => {
                    return Ok(Drafted {
                        planner,
                        model: Some(model.to_string()),
                        tasks,
                        repaired: round > 0,
                    });
                }
                Err(problems) => problems,
            },
            Err(problem) => vec![problem],
        };
        if round > 0 {
            return Err(Failed::Invalid(problems));
        }
        notify(&format!(
            "the `{}` planner's plan has {} problem{}; asking once for a corrected plan",
            planner.name(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        ));
        messages.push(json!({"role": "assistant", "content": content}));
        messages.push(json!({"role": "user", "content": prompt::repair_prompt(&problems)}));
    }
    unreachable!("the loop returns in its second round")
}

/// Returns the Chat Completions request body: exactly `model`, `messages`,
/// `temperature`, the token cap under the configured field, and
/// `response_format` unless the JSON mode is `none` (OpenAI rejects fields
/// it does not know).
pub fn request_body(
    config: &Config,
    model: &str,
    messages: &[Value],
    agent_ids: &[String],
    schema: Option<&Value>,
) -> Value {
    let brain = &config.brain;
    let mut body = serde_json::Map::new();
    body.insert("model".to_string(), json!(model));
    body.insert("messages".to_string(), json!(messages));
    body.insert("temperature".to_string(), json!(brain.temperature));
    let field = match brain.token_field {
        TokenField::MaxCompletionTokens => "max_completion_tokens",
        TokenField::MaxTokens => "max_tokens",
    };
    body.insert(field.to_string(), json!(brain.max_tokens));
    if let Some(format) = prompt::response_format(brain.json_mode, agent_ids, schema) {
        body.insert("response_format".to_string(), format);
    }
    Value::Object(body)
}

/// Folds a conversation into one prompt for the Claude CLI.
fn flatten(messages: &[Value]) -> String {
    let mut text = String::new();
    for message in messages {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("user");
        let content = message.get("content").and_then(Value::as_str).unwrap_or("");
        match role {
            "system" => text.push_str(&format!("{content}\n")),
            "assistant" => text.push_str(&format!("\n## Your previous answer\n{content}\n")),
            _ => text.push_str(&format!("\n## Request\n{content}\n")),
        }
    }
    text
}

fn claude_settings(
    ctx: &Ctx,
    store: &Store,
    config: &Config,
    model: &str,
) -> Result<claude::Settings> {
    let backend = crate::agents::backend_named("claude")
        .ok_or_else(|| tagged(Kind::BrainFailed, "this nexus has no `claude` backend"))?;
    let runtime = crate::agents::runtime::Runtime::new(ctx, store.clone(), config.clone());
    let program = runtime.program(backend, None)?;
    if !binary::is_executable(&program) {
        return Err(tagged_hint(
            Kind::BrainFailed,
            format!(
                "the {} CLI `{}` was not found",
                backend.product(),
                program.display()
            ),
            backend.install_hint(),
        ));
    }
    Ok(claude::Settings {
        backend,
        program,
        model: model.to_string(),
        cwd: store.project_root(),
        timeout: config.brain.timeout.0.max(Duration::from_secs(1)),
        env: runtime.agent_env(backend, None)?,
    })
}

/// Parses a planner's answer as JSON, tolerating a fenced ```json block and
/// prose around the object.
pub fn parse_answer(content: &str) -> std::result::Result<Value, String> {
    let trimmed = content.trim();
    let candidate = fenced(trimmed).unwrap_or(trimmed);
    match serde_json::from_str::<Value>(candidate) {
        Ok(value) => Ok(value),
        Err(error) => {
            // Lenient servers wrap the object in prose: try the outermost braces.
            if let (Some(start), Some(end)) = (candidate.find('{'), candidate.rfind('}'))
                && start < end
                && let Ok(value) = serde_json::from_str::<Value>(&candidate[start..=end])
            {
                return Ok(value);
            }
            Err(format!(
                "the answer is not valid JSON ({error}): {}",
                crate::ui::shorten(candidate, 120)
            ))
        }
    }
}

fn fenced(text: &str) -> Option<&str> {
    let start = text.find("```")?;
    let after = &text[start + 3..];
    let body_start = after.find('\n')? + 1;
    let body = &after[body_start..];
    let end = body.rfind("```")?;
    Some(body[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_may_be_fenced_or_wrapped_in_prose() {
        let plain = parse_answer(r#" {"tasks": []} "#).unwrap();
        assert_eq!(plain, json!({"tasks": []}));
        let fenced = parse_answer("Here:\n```json\n{\"tasks\": [1]}\n```\n").unwrap();
        assert_eq!(fenced, json!({"tasks": [1]}));
        let prose = parse_answer("Sure! {\"tasks\": []} Hope it helps.").unwrap();
        assert_eq!(prose, json!({"tasks": []}));
        let error = parse_answer("{\"tasks\": [").unwrap_err();
        assert!(
            error.contains("not valid JSON") && error.contains("line 1"),
            "{error}"
        );
    }
}
