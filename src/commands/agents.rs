//! `nexus agents list|show`.

use anyhow::Result;

use crate::agents::personality;
use crate::agents::runtime::Runtime;
use crate::cli::AgentsCommand;
use crate::context::Ctx;
use crate::state::agent::Agent;
use crate::ui::{Tone, Ui, table};

/// Returns an agent as JSON: its fields, and its backend's resolved
/// settings under the backend's name (`"claude": {…}`), as in its file.
fn agent_json(runtime: &Runtime, agent: &Agent) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(agent)?;
    let backend = runtime.backend(agent)?;
    let settings = backend.settings(&runtime.config, Some(agent), true)?;
    if let serde_json::Value::Object(object) = &mut value {
        object.insert(
            "backend".to_string(),
            serde_json::Value::from(backend.name()),
        );
        object.insert(
            backend.name().to_string(),
            serde_json::to_value(&settings.table)?,
        );
    }
    Ok(value)
}

/// Runs the command.
pub fn run(ctx: &Ctx, command: &AgentsCommand) -> Result<u8> {
    let store = ctx.store()?;
    let runtime = Runtime::new(ctx, store.clone(), store.load_config()?);
    match command {
        AgentsCommand::List => list(&runtime, &ctx.ui, &store.load_agents()?)?,
        AgentsCommand::Show(args) => show(&runtime, &ctx.ui, &store.load_agent(&args.agent)?)?,
    }
    Ok(crate::exit::OK)
}

/// `agents list`: a row per agent (its JSON with `--json`).
fn list(runtime: &Runtime, ui: &Ui, agents: &[Agent]) -> Result<()> {
    if ui.json {
        let values = agents
            .iter()
            .map(|agent| agent_json(runtime, agent))
            .collect::<Result<Vec<_>>>()?;
        return ui.json_out(&values);
    }
    let mut rows = vec![
        [
            "AGENT",
            "NAME",
            "ROLE",
            "TASK TYPES",
            "INSTANCES",
            "BACKEND",
            "MODEL",
            "PERMISSIONS",
        ]
        .map(|head| ui.paint(head, Tone::Bold))
        .to_vec(),
    ];
    for agent in agents {
        let settings = runtime
            .backend(agent)?
            .settings(&runtime.config, Some(agent), true)?;
        let types: Vec<&str> = agent
            .task_types
            .iter()
            .map(|task_type| task_type.name())
            .collect();
        rows.push(vec![
            ui.paint(&agent.id, Tone::Accent),
            agent.name.clone(),
            agent.role.clone(),
            types.join(","),
            agent.instances.to_string(),
            settings.backend.to_string(),
            settings
                .model
                .clone()
                .unwrap_or_else(|| "default".to_string()),
            settings.permission.clone(),
        ]);
    }
    ui.out(&table(&rows))
}

/// `agents show`: the agent's profile, its CLI and the system prompt nexus
/// builds for it.
fn show(runtime: &Runtime, ui: &Ui, agent: &Agent) -> Result<()> {
    let prompt = personality::system_prompt(agent, false);
    let backend = runtime.backend(agent)?;
    let settings = backend.settings(&runtime.config, Some(agent), true)?;
    let program = runtime.program(backend, Some(agent))?;
    let version = if crate::agents::binary::is_executable(&program) {
        crate::agents::binary::version(&program, std::time::Duration::from_secs(15))
    } else {
        Err(format!("`{}` not found", program.display()))
    };
    if ui.json {
        return ui.json_out(&serde_json::json!({
            "agent": agent_json(runtime, agent)?,
            "built_system_prompt": prompt,
            "cli": {
                "program": program,
                "version": version.as_ref().ok(),
                "problem": version.as_ref().err(),
            },
        }));
    }
    let field = |name: &str, value: &str| format!("{:<22}{value}\n", ui.paint(name, Tone::Bold));
    let mut text = profile_text(ui, agent, &field);
    text.push_str(&field(
        "backend",
        &format!(
            "{} (`{}`, {})",
            backend.name(),
            program.display(),
            version.unwrap_or_else(|problem| problem)
        ),
    ));
    for (key, value) in &settings.table {
        let shown = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Null => "default".to_string(),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_string)
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        text.push_str(&field(&key.replace('_', " "), &shown));
    }
    for (key, why) in backend.ignored_keys(&agent.source.path, &agent.source.text) {
        text.push_str(&field(&key.replace('_', " "), &format!("ignored: {why}")));
    }
    text.push_str(&field("verify", &list_text(&agent.verify)));
    text.push_str(&format!(
        "\n{}\n{prompt}",
        ui.paint("system prompt (as sent):", Tone::Bold)
    ));
    ui.out(&text)
}

/// Returns values as a list for the profile: `a, b, c`.
fn list_text(values: &[String]) -> String {
    values.join(", ")
}

/// Returns the profile part of `agents show`: name, description, role, task
/// types, instances, personality, expertise and memory, a `field` each.
fn profile_text(ui: &Ui, agent: &Agent, field: &dyn Fn(&str, &str) -> String) -> String {
    let mut text = String::new();
    text.push_str(&format!(
        "{} ({}){}\n",
        ui.paint(&agent.name, Tone::Bold),
        agent.id,
        if agent.title.is_empty() {
            String::new()
        } else {
            format!(" — {}", agent.title)
        }
    ));
    text.push_str(&format!("{}\n\n", agent.description));
    text.push_str(&field("role", &agent.role));
    let types: Vec<String> = agent.task_types.iter().map(ToString::to_string).collect();
    text.push_str(&field("task types", &list_text(&types)));
    text.push_str(&field("instances", &agent.instances.to_string()));
    let personality = &agent.personality;
    if !personality.summary.is_empty() {
        text.push_str(&field("in short", &list_text(&personality.summary)));
    }
    text.push_str(&field("core traits", &list_text(&personality.core_traits)));
    text.push_str(&field("communication", &personality.communication_style));
    text.push_str(&field("decision making", &personality.decision_making));
    text.push_str(&field("collaboration", &personality.collaboration_style));
    text.push_str(&field("stress response", &personality.stress_response));
    text.push_str(&field("expertise", &list_text(&agent.expertise.areas)));
    text.push_str(&field(
        "capabilities",
        &list_text(&agent.expertise.capabilities),
    ));
    let memory = &agent.memory;
    text.push_str(&field(
        "memory",
        &format!(
            "{}: keeps {} entries, recalls at most {} ({} characters) into a prompt",
            memory.retention_policy.name(),
            memory.max_conversations,
            memory.context_window_size,
            memory.context_chars
        ),
    ));
    text
}
