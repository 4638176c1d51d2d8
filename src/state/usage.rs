//! What agent work consumed: cost, tokens and agentic turns. One type for a
//! single call, an attempt, a task, a session or a whole plan, added up with
//! [`Usage::add`].

use serde::{Deserialize, Serialize};

/// Cost and tokens of one or more agent calls.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Cost in USD, as the agent CLI reported it.
    pub cost_usd: f64,
    /// Input tokens (including cache reads and writes).
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Agentic turns (model round trips).
    pub turns: u32,
}

impl Usage {
    /// Adds `other` to this usage (saturating, so a corrupt record cannot
    /// overflow a total).
    pub fn add(&mut self, other: &Usage) {
        self.cost_usd += other.cost_usd;
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.turns = self.turns.saturating_add(other.turns);
    }

    /// Returns the sum of `items`.
    pub fn sum<'a>(items: impl IntoIterator<Item = &'a Usage>) -> Usage {
        let mut total = Usage::default();
        for item in items {
            total.add(item);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_adds_up_and_saturates() {
        let one = Usage {
            cost_usd: 0.5,
            input_tokens: 10,
            output_tokens: 2,
            turns: 1,
        };
        let total = Usage::sum([&one, &one]);
        assert_eq!(total.input_tokens, 20);
        assert_eq!(total.turns, 2);
        assert!((total.cost_usd - 1.0).abs() < 1e-12);
        let mut big = Usage {
            input_tokens: u64::MAX,
            ..Usage::default()
        };
        big.add(&one);
        assert_eq!(big.input_tokens, u64::MAX);
    }
}
