//! Text that goes into pictures and pages. Task titles, agent answers and
//! verification output are untrusted: each output language gets its own
//! escape, applied to every piece of text that did not come from nexus
//! itself, so no title can close a label, start a tag or add a statement.

use std::fmt::Write as _;

/// Returns `text` on one line (whitespace runs become one space, control
/// characters U+FFFD) and at most `max` characters, cut with an ellipsis.
pub fn line(text: &str, max: usize) -> String {
    crate::ui::shorten(text, max)
}

/// Escapes text for HTML and SVG (element content and quoted attribute
/// values alike). Characters XML forbids (control characters other than
/// tab and newline, U+FFFE, U+FFFF) become U+FFFD, so an SVG file stays
/// well-formed whatever a task says.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            '\r' => {}
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes one line of text for a Mermaid label or message: letters,
/// digits, spaces and a few harmless marks stay; everything else becomes
/// Mermaid's entity code `#NNN;`, so no quote, bracket, `;`, `%%` or
/// markup survives to end a label, add a statement or inject HTML.
pub fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in line(text, usize::MAX).chars() {
        if c.is_alphanumeric() || " .,-_/:()?!'+=@·→★".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

/// Escapes one line of text for a Graphviz quoted string: `\` and `"` are
/// escaped (so `\N`, `\G` or `\l` in a title stay literal), line breaks
/// and control characters cannot occur (see [`line()`]).
pub fn dot(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in line(text, usize::MAX).chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes one line of text for Markdown: on one line (see [`line()`]),
/// with `\`, `<`, `>`, `[`, `]` and `|` backslash-escaped, so no raw HTML,
/// link, image or table cell can come out of it; emphasis and code spans
/// stay, as agents write them.
pub fn markdown(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in line(text, max).chars() {
        if "\\<>[]|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Formats milliseconds briefly for a label: `850ms`, `12s`, `4m 05s`,
/// `10m`, `2h 05m`, `3d 4h`.
pub fn duration(ms: u64) -> String {
    let secs = ms / 1000;
    if ms < 1000 {
        format!("{ms}ms")
    } else if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        match secs % 60 {
            0 => format!("{}m", secs / 60),
            rest => format!("{}m {rest:02}s", secs / 60),
        }
    } else if secs < 86_400 {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    } else {
        format!("{}d {}h", secs / 86_400, (secs % 86_400) / 3600)
    }
}

/// Formats a cost as the dashboard does: `$0.0421`, `unknown` or
/// `$0.0421 + unknown` when calls of unknown cost are counted.
pub fn cost(cost_usd: f64, unpriced_turns: u32) -> String {
    crate::state::usage::cost_text(cost_usd + 0.0, unpriced_turns)
}

/// Returns a cost with four decimals (`$0.0123`).
pub fn money(cost: f64) -> String {
    // `+ 0.0` turns a negative zero (an empty sum) into zero.
    crate::dashboard::render::money(cost + 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(\"x\")</script> & 'q' \u{1b}[31m;\n%%{init}%% A-->B; \\N";

    #[test]
    fn xml_escapes_markup_quotes_and_forbidden_characters() {
        let escaped = xml(HOSTILE);
        assert!(!escaped.contains('<') && !escaped.contains('>') && !escaped.contains('"'));
        assert!(escaped.starts_with("&lt;script&gt;alert(&quot;x&quot;)"));
        assert!(escaped.contains("&amp; &#39;q&#39;"));
        assert!(!escaped.contains('\u{1b}'));
        assert_eq!(xml("a\r\nb\tc\u{ffff}"), "a\nb\tc\u{fffd}");
    }

    #[test]
    fn mermaid_leaves_no_syntax_behind() {
        let escaped = mermaid(HOSTILE);
        for forbidden in [
            '<', '>', '"', ';', '%', '{', '}', '[', ']', '|', '\n', '\\', '&', '`',
        ] {
            let without_entities: String = escaped
                .split('#')
                .map(|part| part.split_once(';').map_or(part, |(_, rest)| rest))
                .collect();
            assert!(
                !without_entities.contains(forbidden),
                "{forbidden:?} in {escaped}"
            );
        }
        assert!(escaped.starts_with("#60;script#62;alert(#34;x#34;)"));
        assert_eq!(mermaid("Aria (coordinator)"), "Aria (coordinator)");
        assert_eq!(mermaid("a#b"), "a#35;b");
        assert_eq!(mermaid("café ★ · →"), "café ★ · →");
        assert_eq!(mermaid("✓"), "#10003;");
    }

    #[test]
    fn dot_escapes_quotes_and_backslashes_on_one_line() {
        assert_eq!(dot("say \"hi\"\nto \\N"), "say \\\"hi\\\" to \\\\N");
        let escaped = dot(HOSTILE);
        // Every quote is escaped, so the string cannot end early.
        let bytes = escaped.as_bytes();
        for (index, byte) in bytes.iter().enumerate() {
            if *byte == b'"' {
                let backslashes = bytes[..index]
                    .iter()
                    .rev()
                    .take_while(|b| **b == b'\\')
                    .count();
                assert_eq!(backslashes % 2, 1, "unescaped quote in {escaped}");
            }
        }
    }

    #[test]
    fn markdown_leaves_no_html_links_or_cells() {
        assert_eq!(
            markdown("<b>x</b> [a](http://t) ![i](u) | `code` \\", 200),
            "\\<b\\>x\\</b\\> \\[a\\](http://t) !\\[i\\](u) \\| `code` \\\\"
        );
        assert_eq!(markdown("two\nlines", 200), "two lines");
    }

    #[test]
    fn durations_are_brief() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(12_400), "12s");
        assert_eq!(duration(600_000), "10m");
        assert_eq!(duration(70_500), "1m 10s");
        assert_eq!(duration(7_500_000), "2h 05m");
        assert_eq!(duration(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
    }
}
