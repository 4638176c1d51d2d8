//! `nexus agents list|show`.

use anyhow::Result;
use serde::Serialize;

use crate::agents::personality;
use crate::cli::AgentsCommand;
use crate::context::Ctx;
use crate::state::agent::Agent;
use crate::ui::{Tone, table};

#[derive(Serialize)]
struct Shown<'a> {
    agent: &'a Agent,
    built_system_prompt: String,
}

/// Runs the command.
pub fn run(ctx: &Ctx, command: &AgentsCommand) -> Result<u8> {
    let store = ctx.store()?;
    let ui = &ctx.ui;
    match command {
        AgentsCommand::List => {
            let agents = store.load_agents()?;
            if ui.json {
                ui.json_out(&agents)?;
                return Ok(crate::exit::OK);
            }
            let mut rows = vec![
                [
                    "AGENT",
                    "NAME",
                    "ROLE",
                    "TASK TYPES",
                    "INSTANCES",
                    "MODEL",
                    "PERMISSIONS",
                ]
                .map(|head| ui.paint(head, Tone::Bold))
                .to_vec(),
            ];
            for agent in &agents {
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
                    agent.claude.model.clone(),
                    agent.claude.permission_mode.clone(),
                ]);
            }
            ui.out(&table(&rows))?;
        }
        AgentsCommand::Show(args) => {
            let agent = store.load_agent(&args.agent)?;
            let prompt = personality::system_prompt(&agent, false);
            if ui.json {
                ui.json_out(&Shown {
                    agent: &agent,
                    built_system_prompt: prompt,
                })?;
                return Ok(crate::exit::OK);
            }
            let field =
                |name: &str, value: &str| format!("{:<22}{value}\n", ui.paint(name, Tone::Bold));
            let list = |values: &[String]| values.join(", ");
            let mut text = String::new();
            text.push_str(&format!(
                "{} ({}) — {}\n",
                ui.paint(&agent.name, Tone::Bold),
                agent.id,
                agent.title
            ));
            text.push_str(&format!("{}\n\n", agent.description));
            text.push_str(&field("role", &agent.role));
            let types: Vec<String> = agent.task_types.iter().map(ToString::to_string).collect();
            text.push_str(&field("task types", &list(&types)));
            text.push_str(&field("instances", &agent.instances.to_string()));
            text.push_str(&field("core traits", &list(&agent.personality.core_traits)));
            text.push_str(&field(
                "communication",
                &agent.personality.communication_style,
            ));
            text.push_str(&field(
                "decision making",
                &agent.personality.decision_making,
            ));
            text.push_str(&field(
                "collaboration",
                &agent.personality.collaboration_style,
            ));
            text.push_str(&field(
                "stress response",
                &agent.personality.stress_response,
            ));
            text.push_str(&field("expertise", &list(&agent.expertise.areas)));
            text.push_str(&field("capabilities", &list(&agent.expertise.capabilities)));
            text.push_str(&field("model", &agent.claude.model));
            text.push_str(&field("max turns", &agent.claude.max_turns.to_string()));
            text.push_str(&field("permission mode", &agent.claude.permission_mode));
            text.push_str(&field("allowed tools", &list(&agent.claude.allowed_tools)));
            text.push_str(&field(
                "disallowed tools",
                &list(&agent.claude.disallowed_tools),
            ));
            text.push_str(&field("extra dirs", &list(&agent.claude.add_dirs)));
            text.push_str(&field("verify", &list(&agent.verify)));
            text.push_str(&format!(
                "\n{}\n{prompt}",
                ui.paint("system prompt (as sent):", Tone::Bold)
            ));
            ui.out(&text)?;
        }
    }
    Ok(crate::exit::OK)
}
