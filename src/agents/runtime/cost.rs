//! What a turn costs: the check that a budget can count every agent's turns,
//! and the pricing of one turn.

use anyhow::Result;

use super::Runtime;
use crate::agents::backend::{Backend, TurnOutput};
use crate::exit::Kind;
use crate::state::agent::Agent;

impl Runtime {
    /// Checks that the cost of every turn of `agents` can be known: its
    /// backend reports one, or `[prices]` has an entry for its model. A
    /// budget (`run --max-cost`) refuses to start otherwise, naming them.
    pub fn check_costs_known<'a>(&self, agents: impl IntoIterator<Item = &'a Agent>) -> Result<()> {
        let mut unknown: Vec<String> = Vec::new();
        for agent in agents {
            let backend = self.backend(agent)?;
            if backend.reports_cost() {
                continue;
            }
            let model = backend.settings(&self.config, Some(agent), true)?.model;
            let priced =
                crate::state::prices::lookup(&self.config.prices, &[model.as_deref()]).is_some();
            let entry = format!(
                "`{}` ({} model `{}`)",
                agent.id,
                backend.name(),
                model.as_deref().unwrap_or("default")
            );
            if !priced && !unknown.contains(&entry) {
                unknown.push(entry);
            }
        }
        if unknown.is_empty() {
            return Ok(());
        }
        Err(crate::exit::tagged_hint(
            Kind::Usage,
            format!(
                "a budget is set but the cost of these agents' turns cannot be known: {}",
                unknown.join(", ")
            ),
            "add the model's prices to `[prices]` in config.toml (USD per million tokens), \
             or run without `--max-cost`",
        ))
    }

    /// Sets a turn's cost from `[prices]` (the model the CLI reported, else
    /// the agent's configured model), else from what the CLI reported; a
    /// turn that used tokens no price covers counts as unpriced.
    pub(super) fn price(
        &self,
        output: &mut TurnOutput,
        backend: &dyn Backend,
        agent: &Agent,
        isolated: bool,
    ) -> Result<()> {
        let settings = backend.settings(&self.config, Some(agent), isolated)?;
        let priced = crate::state::prices::price(
            &self.config.prices,
            &[output.model.as_deref(), settings.model.as_deref()],
            &output.tokens,
            output.reported_cost,
        );
        output.usage.cost_usd = priced.cost_usd();
        output.usage.unpriced_turns = u32::from(priced.is_unknown());
        Ok(())
    }
}
