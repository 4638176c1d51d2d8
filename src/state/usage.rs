//! What agent work consumed: cost, tokens and agentic turns. One type for a
//! single call, an attempt, a task, a session or a whole plan, added up with
//! [`Usage::add`]. A call whose cost nobody knows (its CLI reports none and
//! `[prices]` has no entry for its model) counts in `unpriced_turns`, so a
//! total says "unknown" instead of a false `$0`.

use serde::{Deserialize, Serialize};

/// Cost and tokens of one or more agent calls.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Cost in USD of the calls whose cost is known: from `[prices]`, else
    /// as the agent CLI reported it.
    pub cost_usd: f64,
    /// Input tokens (including cache reads and writes).
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Agentic turns (model round trips).
    pub turns: u32,
    /// Calls whose cost is unknown (not in `cost_usd`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unpriced_turns: u32,
}

/// Returns whether a count is zero (for `skip_serializing_if`).
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes a reference"
)]
pub fn is_zero(count: &u32) -> bool {
    *count == 0
}

impl Usage {
    /// Adds `other` to this usage (saturating, so a corrupt record cannot
    /// overflow a total).
    pub fn add(&mut self, other: &Usage) {
        self.cost_usd += other.cost_usd;
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.turns = self.turns.saturating_add(other.turns);
        self.unpriced_turns = self.unpriced_turns.saturating_add(other.unpriced_turns);
    }

    /// Returns the sum of `items`.
    pub fn sum<'a>(items: impl IntoIterator<Item = &'a Usage>) -> Usage {
        let mut total = Usage::default();
        for item in items {
            total.add(item);
        }
        total
    }

    /// Returns the cost in words: see [`cost_text`].
    pub fn cost_text(&self) -> String {
        cost_text(self.cost_usd, self.unpriced_turns)
    }
}

/// Returns a cost as people read it: `$0.0123`; `unknown` when every call
/// counted is of unknown cost; `$0.0123 + unknown` when some are. Never `$0`
/// for a cost nobody knows.
pub fn cost_text(cost_usd: f64, unpriced_turns: u32) -> String {
    // `+ 0.0` turns a negative zero into a positive one.
    let known = format!("${:.4}", cost_usd + 0.0);
    match (unpriced_turns, cost_usd > 0.0) {
        (0, _) => known,
        (_, false) => "unknown".to_string(),
        (_, true) => format!("{known} + unknown"),
    }
}

/// Token counts of a call, split the way providers price them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenCounts {
    /// Every input token, cache reads and writes included.
    pub input: u64,
    /// Of those, the ones read from the provider's cache.
    #[serde(default)]
    pub cached_input: u64,
    /// Of those, the ones written to the provider's cache.
    #[serde(default)]
    pub cache_write_input: u64,
    /// Output tokens (reasoning included).
    pub output: u64,
}

impl TokenCounts {
    /// Returns whether every count is zero.
    pub fn is_empty(&self) -> bool {
        *self == TokenCounts::default()
    }

    /// Returns the counts of one call of a CLI that reports running totals
    /// per session: `self` (the totals after the call) less `before` (the
    /// totals after the previous call). When a total went down the CLI
    /// restarted its count (e.g. after a killed call), and `self` is the
    /// call's own.
    pub fn since(&self, before: &TokenCounts) -> TokenCounts {
        if self.input < before.input
            || self.cached_input < before.cached_input
            || self.cache_write_input < before.cache_write_input
            || self.output < before.output
        {
            return *self;
        }
        TokenCounts {
            input: self.input - before.input,
            cached_input: self.cached_input - before.cached_input,
            cache_write_input: self.cache_write_input - before.cache_write_input,
            output: self.output - before.output,
        }
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
            unpriced_turns: 1,
        };
        let total = Usage::sum([&one, &one]);
        assert_eq!(total.input_tokens, 20);
        assert_eq!(total.turns, 2);
        assert_eq!(total.unpriced_turns, 2);
        assert!((total.cost_usd - 1.0).abs() < 1e-12);
        let mut big = Usage {
            input_tokens: u64::MAX,
            ..Usage::default()
        };
        big.add(&one);
        assert_eq!(big.input_tokens, u64::MAX);
    }

    #[test]
    fn an_unknown_cost_is_never_shown_as_zero() {
        assert_eq!(cost_text(0.0, 0), "$0.0000");
        assert_eq!(cost_text(0.01234, 0), "$0.0123");
        assert_eq!(cost_text(0.0, 2), "unknown");
        assert_eq!(cost_text(0.5, 1), "$0.5000 + unknown");
        assert_eq!(cost_text(-0.0, 0), "$0.0000");
        let known = serde_json::to_string(&Usage::default()).unwrap();
        assert!(!known.contains("unpriced"), "{known}");
    }

    #[test]
    fn running_totals_become_per_call_counts() {
        let before = TokenCounts {
            input: 11,
            cached_input: 3,
            cache_write_input: 0,
            output: 2,
        };
        let after = TokenCounts {
            input: 111,
            cached_input: 13,
            cache_write_input: 0,
            output: 7,
        };
        assert_eq!(
            after.since(&before),
            TokenCounts {
                input: 100,
                cached_input: 10,
                cache_write_input: 0,
                output: 5
            }
        );
        // A restarted count (codex-c28_resume_after_kill: 11 after a kill).
        assert_eq!(before.since(&after), before);
        assert_eq!(after.since(&TokenCounts::default()), after);
    }
}
