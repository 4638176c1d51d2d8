//! Escaping for the languages exported files are written in: POSIX shell,
//! make and YAML. Every value a writer embeds goes through one of these;
//! none of them accepts a newline where it would end the construct, so
//! callers reject control characters first ([`has_control`]).

/// Returns `text` as one POSIX shell word: as is when every character is
/// one no shell treats specially, else in single quotes (a `'` inside is
/// written `'\''`).
pub fn shell(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Returns `text` for a make variable's value or a recipe line: `$` is
/// written `$$` and `#` (which would start a comment in an assignment)
/// `\#`.
pub fn make(text: &str) -> String {
    text.replace('$', "$$").replace('#', r"\#")
}

/// Returns `text` as a YAML single-quoted scalar (a `'` is written `''`),
/// so no value is read as a number, boolean or null. GitHub still
/// evaluates `${{` in any scalar, quoted or not: writers embed only ids,
/// names and the user's own options.
pub fn yaml(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Returns whether `text` holds a control character (a newline among
/// them), which no exported file can carry safely.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `sh -c 'printf %s WORD'` and returns what the shell made of it.
    fn through_sh(word: &str) -> String {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {word}"))
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    }

    #[test]
    fn shell_words_survive_the_shell_unchanged() {
        for text in [
            "nexus",
            "/usr/local/bin/nexus",
            "",
            "with space",
            "it's",
            "$HOME",
            "`date`",
            "a\"b",
            "~/bin",
            "semi;colon",
            "back\\slash",
            "*",
            "'",
        ] {
            assert_eq!(through_sh(&shell(text)), text, "{text:?}");
        }
        assert_eq!(shell("p1"), "p1");
        assert_eq!(shell("it's"), r"'it'\''s'");
    }

    #[test]
    fn make_and_yaml_escapes() {
        assert_eq!(make("'/a $b #c'"), r"'/a $$b \#c'");
        assert_eq!(yaml("it's"), "'it''s'");
        assert_eq!(yaml("1.0"), "'1.0'");
        assert!(has_control("a\nb"));
        assert!(!has_control("a b"));
    }
}
