//! `[prices]` of `config.toml`: list prices per model, in USD per million
//! tokens, that turn a call's token counts into its cost. Neither the Codex
//! nor the Gemini CLI reports money, and Claude Code's own figure is its list
//! price even for a local model behind `ANTHROPIC_BASE_URL`; so the cost of a
//! call is, in this order:
//!
//! 1. computed from the entry of the model the CLI reported (else the model
//!    the agent's settings name), when `[prices]` has one: an entry also
//!    overrides a cost the CLI reported;
//! 2. the cost the CLI reported;
//! 3. unknown: counted in [`Usage::unpriced_turns`], shown as "unknown",
//!    never as `$0`.
//!
//! [`Usage::unpriced_turns`]: crate::state::usage::Usage::unpriced_turns

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::usage::TokenCounts;

/// One model's prices, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Input tokens not read from or written to a cache.
    pub input_per_mtok: f64,
    /// Output tokens (reasoning included).
    pub output_per_mtok: f64,
    /// Input tokens read from the cache (`input_per_mtok` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_per_mtok: Option<f64>,
    /// Input tokens written to the cache (`input_per_mtok` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_per_mtok: Option<f64>,
}

impl Price {
    /// Returns what `tokens` cost at these prices.
    pub fn cost(&self, tokens: &TokenCounts) -> f64 {
        let cached = tokens.cached_input.min(tokens.input);
        let written = tokens.cache_write_input.min(tokens.input - cached);
        let plain = tokens.input - cached - written;
        #[allow(
            clippy::cast_precision_loss,
            reason = "token counts are far below 2^52"
        )]
        let per_million = |count: u64, price: f64| count as f64 * price / 1_000_000.0;
        per_million(plain, self.input_per_mtok)
            + per_million(
                cached,
                self.cached_input_per_mtok.unwrap_or(self.input_per_mtok),
            )
            + per_million(
                written,
                self.cache_write_per_mtok.unwrap_or(self.input_per_mtok),
            )
            + per_million(tokens.output, self.output_per_mtok)
    }

    /// Returns the first price that is not a finite amount of at least 0,
    /// by key.
    pub fn problem(&self) -> Option<&'static str> {
        let bad = |value: f64| !(value.is_finite() && value >= 0.0);
        if bad(self.input_per_mtok) {
            Some("input_per_mtok")
        } else if bad(self.output_per_mtok) {
            Some("output_per_mtok")
        } else if self.cached_input_per_mtok.is_some_and(bad) {
            Some("cached_input_per_mtok")
        } else if self.cache_write_per_mtok.is_some_and(bad) {
            Some("cache_write_per_mtok")
        } else {
            None
        }
    }
}

/// Returns the entry of the first of `models` that has one.
pub fn lookup<'a>(
    prices: &'a BTreeMap<String, Price>,
    models: &[Option<&str>],
) -> Option<(&'a str, &'a Price)> {
    models
        .iter()
        .flatten()
        .find_map(|model| prices.get_key_value(*model))
        .map(|(model, price)| (model.as_str(), price))
}

/// The cost of one call, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Priced {
    /// From the `[prices]` entry of the model.
    Table(f64),
    /// As the CLI reported it.
    Reported(f64),
    /// Nobody knows.
    Unknown,
    /// The call reported no usage at all: nothing known was spent.
    Nothing,
}

impl Priced {
    /// Returns the cost to add up (0 when unknown).
    pub fn cost_usd(self) -> f64 {
        match self {
            Priced::Table(cost) | Priced::Reported(cost) => cost,
            Priced::Unknown | Priced::Nothing => 0.0,
        }
    }

    /// Returns whether the cost is unknown.
    pub fn is_unknown(self) -> bool {
        self == Priced::Unknown
    }
}

/// Prices one call: by the table (the reported model's entry, else the
/// configured model's), else as reported, else unknown.
pub fn price(
    prices: &BTreeMap<String, Price>,
    models: &[Option<&str>],
    tokens: &TokenCounts,
    reported_cost: Option<f64>,
) -> Priced {
    if let Some((_, entry)) = lookup(prices, models) {
        return Priced::Table(entry.cost(tokens));
    }
    match reported_cost {
        Some(cost) => Priced::Reported(cost),
        None if tokens.is_empty() => Priced::Nothing,
        None => Priced::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> BTreeMap<String, Price> {
        BTreeMap::from([(
            "gpt-5-codex".to_string(),
            Price {
                input_per_mtok: 1.25,
                output_per_mtok: 10.0,
                cached_input_per_mtok: Some(0.125),
                cache_write_per_mtok: None,
            },
        )])
    }

    #[test]
    fn the_table_prices_by_reported_then_configured_model() {
        let tokens = TokenCounts {
            input: 1_000_000,
            cached_input: 400_000,
            cache_write_input: 0,
            output: 100_000,
        };
        let cost = price(&table(), &[Some("gpt-5-codex")], &tokens, None).cost_usd();
        assert!(
            (cost - (0.6 * 1.25 + 0.4 * 0.125 + 1.0)).abs() < 1e-9,
            "{cost}"
        );
        // The reported model has no entry: the configured one's is used.
        let priced = price(
            &table(),
            &[Some("unknown-model"), Some("gpt-5-codex")],
            &tokens,
            Some(99.0),
        );
        assert!(
            matches!(priced, Priced::Table(_)),
            "an entry overrides a reported cost"
        );
        assert_eq!(
            price(&table(), &[Some("other")], &tokens, Some(0.5)),
            Priced::Reported(0.5)
        );
        assert_eq!(price(&table(), &[None], &tokens, None), Priced::Unknown);
        assert_eq!(
            price(&table(), &[Some("other")], &TokenCounts::default(), None),
            Priced::Nothing
        );
    }

    #[test]
    fn bad_prices_are_named() {
        let mut entry = table()["gpt-5-codex"];
        assert_eq!(entry.problem(), None);
        entry.cached_input_per_mtok = Some(-1.0);
        assert_eq!(entry.problem(), Some("cached_input_per_mtok"));
        entry.output_per_mtok = f64::NAN;
        assert_eq!(entry.problem(), Some("output_per_mtok"));
    }
}
