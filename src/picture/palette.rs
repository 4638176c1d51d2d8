//! The colours of the pictures: one pair (fill, stroke) per task state and
//! per attempt outcome, shared by Mermaid, DOT, SVG and the HTML page so a
//! state looks the same everywhere. Colour only repeats what the words say:
//! every node names its state and every bar its outcome.

/// A fill and a stroke colour (`#rrggbb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colors {
    /// The background.
    pub fill: &'static str,
    /// The border (dark enough to read as text on white).
    pub stroke: &'static str,
}

/// The text colour on every fill (all fills are light).
pub const TEXT: &str = "#111827";

/// Secondary text and ordinary edges.
pub const MUTED: &str = "#4b5563";

/// The critical path's edges and node borders (drawn thick as well).
pub const CRITICAL: &str = "#1e3a8a";

/// Returns the colours of a shown task state (`dashboard` state names,
/// `stale` and `unreadable` included; anything else looks pending).
pub fn state(state: &str) -> Colors {
    let (fill, stroke) = match state {
        "running" => ("#fef3c7", "#b45309"),
        "stale" => ("#fce7f3", "#9d174d"),
        "completed" => ("#dcfce7", "#15803d"),
        "failed" => ("#fee2e2", "#b91c1c"),
        "blocked" => ("#ffedd5", "#c2410c"),
        "interrupted" => ("#ede9fe", "#6d28d9"),
        "skipped" => ("#e0f2fe", "#0369a1"),
        "unreadable" => ("#e5e7eb", "#374151"),
        _ => ("#f3f4f6", "#6b7280"),
    };
    Colors { fill, stroke }
}

/// Returns what a shown state means, for legends.
pub fn state_meaning(state: &str) -> &'static str {
    match state {
        "pending" => "not started",
        "running" => "an agent is on it",
        "stale" => "says running, but no live process owns it",
        "completed" => "done and verified",
        "failed" => "its last attempt failed",
        "blocked" => "a dependency failed",
        "interrupted" => "stopped by a signal",
        "skipped" => "left out by the budget",
        "unreadable" => "its file is malformed",
        _ => "",
    }
}

/// How an attempt went, as the timeline draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    /// The attempt succeeded.
    Success,
    /// The attempt ended without success (drawn hatched as well).
    Failed,
    /// The attempt has not ended (drawn with a dashed border as well).
    Running,
}

impl Bar {
    /// Returns the bar's colours.
    pub fn colors(self) -> Colors {
        match self {
            Bar::Success => Colors {
                fill: "#86efac",
                stroke: "#15803d",
            },
            Bar::Failed => Colors {
                fill: "#fca5a5",
                stroke: "#b91c1c",
            },
            Bar::Running => Colors {
                fill: "#fde68a",
                stroke: "#b45309",
            },
        }
    }

    /// Returns the word for legends.
    pub fn name(self) -> &'static str {
        match self {
            Bar::Success => "succeeded",
            Bar::Failed => "failed",
            Bar::Running => "running",
        }
    }
}
