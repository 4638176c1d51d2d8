//! The only printer. Data goes to stdout, diagnostics to stderr. Colour is
//! decided once: `--color` > `NO_COLOR` > is-a-terminal, per stream. A broken
//! pipe on stdout (`nexus status | head -1`) ends the command quietly with 0.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use anyhow::Result;
use owo_colors::OwoColorize;
use serde::Serialize;

use crate::cli::ColorChoice;

/// Marks an error as "stdout was closed by the reader", which exits 0.
#[derive(Debug)]
pub struct BrokenPipe;

impl std::fmt::Display for BrokenPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken pipe")
    }
}

impl std::error::Error for BrokenPipe {}

/// A colour role; meaning is never carried by colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Success, completed.
    Good,
    /// Warnings, running, skipped.
    Warn,
    /// Failures.
    Bad,
    /// Secondary text.
    Dim,
    /// Headings and names.
    Bold,
    /// Ids and paths.
    Accent,
}

/// Secret values (API keys and tokens from the environment) that must never
/// be printed or stored: a server that echoes the `Authorization` header
/// would otherwise put its key on the terminal and in `logs/brain/`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: std::sync::Arc<Vec<String>>,
}

impl Redactor {
    /// Returns a redactor of the values of `env`'s variables whose names say
    /// they hold a secret (at least 8 characters long, so that `1` or `true`
    /// is never taken for one).
    pub fn from_env(env: &std::collections::BTreeMap<String, String>) -> Self {
        let mut secrets: Vec<String> = env
            .iter()
            .filter(|(name, value)| crate::proc::env::looks_secret(name) && value.len() >= 8)
            .map(|(_, value)| value.clone())
            .collect();
        // The longest first, so a key containing another is replaced whole.
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        secrets.dedup();
        Redactor {
            secrets: std::sync::Arc::new(secrets),
        }
    }

    /// Returns `text` with every secret value replaced by `[REDACTED]`.
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if !self
            .secrets
            .iter()
            .any(|secret| text.contains(secret.as_str()))
        {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for secret in self.secrets.iter() {
            out = out.replace(secret.as_str(), "[REDACTED]");
        }
        std::borrow::Cow::Owned(out)
    }
}

/// Output settings and the print functions.
#[derive(Debug, Clone)]
pub struct Ui {
    /// `--json`.
    pub json: bool,
    /// `-q`.
    pub quiet: bool,
    color_out: bool,
    color_err: bool,
    redactor: Redactor,
}

impl Ui {
    /// Decides colour for both streams.
    pub fn new(json: bool, quiet: bool, color: ColorChoice, no_color_env: bool) -> Self {
        let decide = |is_terminal: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color_env && is_terminal,
        };
        Ui {
            json,
            quiet,
            color_out: decide(std::io::stdout().is_terminal()),
            color_err: decide(std::io::stderr().is_terminal()),
            redactor: Redactor::default(),
        }
    }

    /// Returns this output with `redactor` applied to everything it prints.
    #[must_use]
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Returns the redactor of secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Returns whether stdout gets colour.
    pub fn color_out(&self) -> bool {
        self.color_out
    }

    /// Returns whether stdout is a terminal.
    pub fn stdout_is_terminal(&self) -> bool {
        std::io::stdout().is_terminal()
    }

    /// Paints text for stdout.
    pub fn paint(&self, text: &str, tone: Tone) -> String {
        paint(text, tone, self.color_out)
    }

    /// Paints text for stderr.
    pub fn paint_err(&self, text: &str, tone: Tone) -> String {
        paint(text, tone, self.color_err)
    }

    /// Writes data to stdout: as is into a pipe or file; on a terminal with
    /// every control character but colours escaped (agent output and task
    /// text are untrusted, and `ESC]0;…` would retitle the terminal).
    pub fn out(&self, text: &str) -> Result<()> {
        let text = self.redactor.redact(text);
        let text = text.as_ref();
        if self.stdout_is_terminal() {
            self.raw_out(&sanitize(text, true))
        } else {
            self.raw_out(text)
        }
    }

    fn raw_out(&self, text: &str) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                Err(anyhow::Error::new(BrokenPipe))
            }
            Err(error) => Err(anyhow::Error::new(error).context("failed to write to stdout")),
        }
    }

    /// Redraws the whole terminal with `text` in one write: home the cursor,
    /// clear the screen, print (`status --watch`).
    pub fn frame(&self, text: &str) -> Result<()> {
        if self.stdout_is_terminal() {
            self.raw_out(&format!("\u{1b}[H\u{1b}[2J{}", sanitize(text, true)))
        } else {
            self.raw_out(&format!("\u{1b}[H\u{1b}[2J{text}"))
        }
    }

    /// Writes one line of data to stdout.
    pub fn line(&self, text: &str) -> Result<()> {
        self.out(&format!("{text}\n"))
    }

    /// Writes a value as pretty JSON to stdout.
    pub fn json_out<T: Serialize>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        self.out(&format!("{text}\n"))
    }

    /// Writes a value as one JSON line to stdout (event streams).
    pub fn json_line<T: Serialize>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string(value)?;
        self.out(&format!("{text}\n"))
    }

    /// Writes a progress or status note to stderr (silenced by `-q`).
    pub fn note(&self, text: &str) {
        if !self.quiet {
            to_stderr(&format!(
                "{}\n",
                sanitize(&self.redactor.redact(text), true)
            ));
        }
    }

    /// Asks a yes/no question on the terminal (stderr) and reads the
    /// answer; `None` when stdin is not a terminal, so the caller can ask
    /// for `--yes` instead of blocking a script.
    pub fn confirm(&self, question: &str) -> Result<Option<bool>> {
        use std::io::{BufRead, IsTerminal};
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Ok(None);
        }
        to_stderr(&format!("{} [y/N] ", sanitize(question, true)));
        let mut answer = String::new();
        stdin
            .lock()
            .read_line(&mut answer)
            .map_err(|error| anyhow::anyhow!("failed to read the answer: {error}"))?;
        Ok(Some(matches!(
            answer.trim().to_lowercase().as_str(),
            "y" | "yes"
        )))
    }

    /// Writes a warning to stderr (not silenced by `-q`).
    pub fn warn(&self, text: &str) {
        to_stderr(&format!(
            "{} {}\n",
            self.paint_err("warning:", Tone::Warn),
            sanitize(&self.redactor.redact(text), true)
        ));
    }

    /// Writes an error with its causes and hint to stderr.
    pub fn error(&self, error: &anyhow::Error) {
        // Error texts quote ids, paths and answers from files and servers:
        // no control character of theirs reaches the terminal.
        let mut chain = error
            .chain()
            .map(|cause| sanitize(&self.redactor.redact(&cause.to_string()), false).into_owned())
            .filter(|text| !text.is_empty());
        let head = chain.next().unwrap_or_else(|| "unknown error".to_string());
        let mut text = format!("{} {head}", self.paint_err("error:", Tone::Bad));
        let causes: Vec<String> = chain
            .filter(|cause| !head.contains(cause.as_str()))
            .collect();
        if !causes.is_empty() {
            text.push_str("\n\nCaused by:");
            for cause in causes {
                text.push_str(&format!("\n  {cause}"));
            }
        }
        if let Some(hint) =
            crate::exit::hint_for(error).map(|hint| sanitize(&hint, false).into_owned())
        {
            text.push_str(&format!(
                "\n\n{} {hint}",
                self.paint_err("hint:", Tone::Accent)
            ));
        }
        to_stderr(&format!("{text}\n"));
    }
}

/// Writes `text` to stderr and flushes it. A closed or broken stderr (`nexus
/// run 2>&1 | head`) is not an error and never a panic, as `eprintln!`
/// would make it: the work goes on, and the files record it.
pub fn to_stderr(text: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Returns `text` with every control character escaped as `\u{..}`, but
/// newlines and tabs — and, with `keep_colours`, the SGR colour sequences
/// (`ESC [ … m`) nexus paints with. Cursor movement, screen clearing, window
/// titles (OSC), bells and carriage returns never pass.
pub fn sanitize(text: &str, keep_colours: bool) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\u{1b}' && keep_colours {
            let rest = &text[at + 1..];
            if let Some(body) = rest.strip_prefix('[') {
                let end = body
                    .char_indices()
                    .find(|(_, c)| !(c.is_ascii_digit() || *c == ';'));
                if let Some((index, 'm')) = end {
                    out.push('\u{1b}');
                    out.push('[');
                    out.push_str(&body[..=index]);
                    for _ in 0..=index + 1 {
                        chars.next();
                    }
                    continue;
                }
            }
        }
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn paint(text: &str, tone: Tone, enabled: bool) -> String {
    if !enabled {
        return text.to_string();
    }
    match tone {
        Tone::Good => text.green().to_string(),
        Tone::Warn => text.yellow().to_string(),
        Tone::Bad => text.red().bold().to_string(),
        Tone::Dim => text.dimmed().to_string(),
        Tone::Bold => text.bold().to_string(),
        Tone::Accent => text.cyan().to_string(),
    }
}

/// Returns the display width of text without ANSI escapes (chars, not bytes).
pub fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        if in_escape {
            if c.is_ascii_alphabetic() {
                in_escape = false;
            }
        } else if c == '\u{1b}' {
            in_escape = true;
        } else {
            width += 1;
        }
    }
    width
}

/// Renders rows as aligned columns separated by two spaces (the last column
/// is not padded). Cells may hold colour escapes.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max(visible_width(cell));
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if index + 1 < row.len() {
                line.push_str(&" ".repeat(widths[index] - visible_width(cell) + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Frames a section in a box with its title on the top edge, at least
/// `min_width` columns inside (terminal output only; plain output uses a
/// title line instead).
pub fn boxed(title: &str, body: &str, min_width: usize) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let title_width = visible_width(title);
    let width = lines
        .iter()
        .map(|line| visible_width(line))
        .max()
        .unwrap_or(0)
        .max(title_width + 2)
        .max(min_width);
    let inner = width + 2;
    let mut out = format!("┌─ {title} {}┐\n", "─".repeat(inner - 3 - title_width));
    for line in lines {
        out.push_str(&format!(
            "│ {line}{} │\n",
            " ".repeat(width - visible_width(line))
        ));
    }
    out.push_str(&format!("└{}┘\n", "─".repeat(inner)));
    out
}

/// Shortens text to `max` characters with an ellipsis, on one line.
pub fn shorten(text: &str, max: usize) -> String {
    // Text from plans and agents reaches the terminal: control characters
    // (escape sequences, bells) are shown as U+FFFD, never sent raw.
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_visible_width() {
        let rows = vec![
            vec!["id".to_string(), "state".to_string()],
            vec![paint("a", Tone::Good, true), "done".to_string()],
        ];
        let painted = paint("a", Tone::Good, true);
        assert_eq!(table(&rows), format!("id  state\n{painted}   done\n"));
    }

    #[test]
    fn boxes_fit_their_widest_line() {
        let text = boxed("T", "ab\nabcd\n", 0);
        assert_eq!(text, "┌─ T ──┐\n│ ab   │\n│ abcd │\n└──────┘\n");
    }

    #[test]
    fn control_characters_are_escaped_but_colours_kept() {
        let hostile = "id \u{1b}]0;owned\u{7}title \u{1b}[2Jclear \u{1b}[31mred\u{1b}[0m \r\u{8}";
        let kept = sanitize(hostile, true);
        assert!(
            !kept.contains("\u{1b}]") && !kept.contains("\u{1b}[2J"),
            "{kept:?}"
        );
        assert!(kept.contains("\u{1b}[31mred\u{1b}[0m"), "{kept:?}");
        assert!(kept.contains("\\u{1b}]0;owned\\u{7}"), "{kept:?}");
        assert!(kept.contains("\\u{d}\\u{8}"), "{kept:?}");
        let none = sanitize(hostile, false);
        assert!(!none.contains('\u{1b}'), "{none:?}");
        assert_eq!(sanitize("plain\ttext\n", false), "plain\ttext\n");
    }

    #[test]
    fn shorten_flattens_and_cuts() {
        assert_eq!(shorten("a\n b", 10), "a b");
        assert_eq!(shorten("abcdefghij", 5), "abcd…");
        assert_eq!(shorten("a\u{1b}]0;x\u{7}b", 20), "a\u{fffd}]0;x\u{fffd}b");
    }
}
