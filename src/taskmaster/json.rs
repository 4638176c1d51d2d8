//! A small span-tracking JSON reader: parses a document into a tree whose
//! every value, and every object key, remembers its exact byte range in the
//! original text.
//!
//! It exists so that a Task Master file can be read and then edited in place
//! (one `status` value at a time) without being re-serialized: serde_json's
//! `Value` forgets key order, formatting and escapes. Object members keep
//! their order and duplicates; lookups take the last duplicate, as
//! JavaScript's `JSON.parse` (Task Master's reader) does.
//!
//! Callers validate the text with serde_json first (for its line/column
//! messages); this reader still returns an error, never panics, on bad input.

/// One JSON value and the byte range `start..end` it occupies.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Offset of the value's first byte.
    pub start: usize,
    /// Offset just past the value's last byte.
    pub end: usize,
    /// The value.
    pub value: Value,
}

/// A JSON value; strings are decoded, numbers kept as their source text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Object(Vec<Member>),
    Array(Vec<Node>),
    String(String),
    Number(String),
    Bool(bool),
    Null,
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    /// The decoded key.
    pub key: String,
    /// Offset of the key's opening quote.
    pub key_start: usize,
    /// Offset just past the key's closing quote.
    pub key_end: usize,
    /// The value.
    pub value: Node,
}

impl Node {
    /// Returns the last member named `key`, when this is an object.
    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.value {
            Value::Object(members) => members.iter().rev().find(|member| member.key == key),
            _ => None,
        }
    }

    /// Returns the value of the last member named `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|member| &member.value)
    }

    /// Returns the members, when this is an object.
    pub fn members(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// Returns the elements, when this is an array.
    pub fn elements(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(elements) => Some(elements),
            _ => None,
        }
    }

    /// Returns the decoded text, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// Returns what kind of value this is, for messages (`an object` …).
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Object(_) => "an object",
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Null => "null",
        }
    }
}

/// Deeper nesting is refused (serde_json's own limit is 128).
const MAX_DEPTH: usize = 512;

/// Parses `text` (one JSON value, optionally after a UTF-8 byte-order mark).
/// Errors name the byte offset.
pub(crate) fn parse(text: &str) -> Result<Node, String> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    if text.starts_with('\u{feff}') {
        parser.pos = '\u{feff}'.len_utf8();
    }
    parser.skip_whitespace();
    let node = parser.value()?;
    parser.skip_whitespace();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error("trailing characters after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", byte as char)))
        }
    }

    fn value(&mut self) -> Result<Node, String> {
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("unexpected end of text")),
        };
        Ok(Node {
            start,
            end: self.pos,
            value,
        })
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<Value, String> {
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            let key_start = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            let key_end = self.pos;
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            let value = self.value()?;
            members.push(Member {
                key,
                key_start,
                key_end,
                value,
            });
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.expect(b'[')?;
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(elements));
        }
        loop {
            self.skip_whitespace();
            elements.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(elements));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        // The range holds ASCII bytes only, so it is valid UTF-8.
        let raw = String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned();
        Ok(Value::Number(raw))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("short `\\u` escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("bad `\\u` escape"))?;
        let code = u32::from_str_radix(text, 16).map_err(|_| self.error("bad `\\u` escape"))?;
        self.pos += 4;
        Ok(code)
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run stops only at ASCII bytes, so it ends on a char boundary
            // of the (valid UTF-8) input.
            out.push_str(&String::from_utf8_lossy(&self.bytes[run_start..self.pos]));
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek().ok_or_else(|| self.error("unfinished escape"))?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first)
                                && self.bytes[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                } else {
                                    self.pos = save;
                                    first
                                }
                            } else {
                                first
                            };
                            // A lone surrogate (which serde_json refuses) reads
                            // as U+FFFD rather than failing here.
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.error("unknown escape")),
                    }
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_values_and_keys_exactly() {
        let text = "{\n  \"a\": [1, \"x\"],\n  \"b\" :\t{\"c\": null}\n}\n";
        let root = parse(text).unwrap();
        assert_eq!((root.start, root.end), (0, text.len() - 1));
        let a = root.member("a").unwrap();
        assert_eq!(&text[a.key_start..a.key_end], "\"a\"");
        assert_eq!(&text[a.value.start..a.value.end], "[1, \"x\"]");
        let elements = a.value.elements().unwrap();
        assert_eq!(&text[elements[0].start..elements[0].end], "1");
        assert_eq!(&text[elements[1].start..elements[1].end], "\"x\"");
        let c = root.get("b").unwrap().get("c").unwrap();
        assert_eq!(&text[c.start..c.end], "null");
        assert_eq!(c.kind(), "null");
    }

    #[test]
    fn strings_decode_every_escape() {
        let root =
            parse(r#"{"s": "a\"b\\c\/d\n\t\u0041\u00e9\ud83d\ude00\b\f\r", "lone": "\ud800x"}"#)
                .unwrap();
        assert_eq!(
            root.get("s").unwrap().as_str(),
            Some("a\"b\\c/d\n\tAé😀\u{8}\u{c}\r")
        );
        assert_eq!(root.get("lone").unwrap().as_str(), Some("\u{fffd}x"));
    }

    #[test]
    fn duplicate_keys_read_as_the_last_one() {
        let root = parse(r#"{"k": 1, "k": 2}"#).unwrap();
        assert_eq!(root.members().unwrap().len(), 2);
        assert_eq!(root.get("k").unwrap().value, Value::Number("2".into()));
    }

    #[test]
    fn non_ascii_text_keeps_byte_offsets() {
        let text = "{\"é\": \"ü😀\", \"n\": -1.5e3}";
        let root = parse(text).unwrap();
        let member = root.member("n").unwrap();
        assert_eq!(&text[member.value.start..member.value.end], "-1.5e3");
        assert_eq!(root.get("é").unwrap().as_str(), Some("ü😀"));
    }

    #[test]
    fn byte_order_mark_is_skipped_and_offsets_stay_absolute() {
        let text = "\u{feff}[true, false]";
        let root = parse(text).unwrap();
        assert_eq!(root.start, 3);
        assert_eq!(&text[root.start..root.end], "[true, false]");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for text in [
            "",
            "{",
            "{\"a\" 1}",
            "[1,]",
            "\"abc",
            "{\"a\": tru}",
            "[1] 2",
            "\"\\u12\"",
            "\"\\q\"",
            "{1: 2}",
            "\"a\nb\"",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).is_err());
    }
}
