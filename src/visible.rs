//! Text from a plan, a script or a server shown on a terminal: one line,
//! and nothing a terminal would obey.
//!
//! Group and step names may hold any character (the case
//! results-xml-control-chars: they are accepted, and every view escapes
//! what it cannot show), and so may an error text a server or a script
//! sent. On the console a line break in a name would split a table's row
//! and the verdict's one line, and an ESC would start a terminal escape
//! sequence (colours, a moved cursor, a retitled window) that rewrites
//! what the reader sees. Each control character (Unicode's `Cc`: C0, DEL
//! and C1), each bidirectional control (which can reorder what is shown,
//! "Trojan Source", CVE-2021-42574), the Unicode line and paragraph
//! separators and the invisible zero-width characters are written as a
//! visible escape in Rust's own notation: `\n`, `\r`, `\t`, `\x1b`,
//! `\u{202e}`. The recorded files keep the text as it was. Every message
//! pace writes to stderr goes through it too (`errln!`): an error quotes
//! what the user wrote, a path or a value.

use std::borrow::Cow;
use std::fmt::Write;

fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Bidirectional overrides, embeddings, isolates and marks.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
            // Line and paragraph separators: line breaks to a terminal.
            | '\u{2028}' | '\u{2029}'
            // Invisible: zero-width space, word joiner and invisible
            // operators, byte-order mark. (Zero-width joiners stay: emoji
            // sequences are made of them.)
            | '\u{200b}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
        )
}

/// `text` on one line with every control character and bidirectional
/// override written as an escape; borrowed when it holds none.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A table or another block of lines as a terminal may show it: every
/// character [`one_line`] escapes is escaped but the line breaks that lay
/// the block out. For the tables of `pace plan`, `pace model` and `pace
/// capacity`, whose cells hold names the user gave (a centre's name, a
/// file's): an ESC in one turned the rest of the terminal red (the case
/// console-escape-tables).
pub fn lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && hidden(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&one_line(line));
    }
    Cow::Owned(out)
}

/// `text` with the characters [`one_line`] escapes that are not control
/// characters (bidirectional controls, line and paragraph separators, the
/// invisible ones) escaped; line breaks and tabs stay. For report.html,
/// where a right-to-left override in a step name reversed the text beside
/// it (the step's URL) as the browser laid it out.
pub fn no_hidden_layout(text: &str) -> Cow<'_, str> {
    let layout = |c: char| hidden(c) && !c.is_control();
    if !text.chars().any(layout) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if layout(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`one_line`] of every cell: a table row as a terminal may show it.
pub fn row<I, S>(cells: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    cells
        .into_iter()
        .map(|c| one_line(c.as_ref()).into_owned())
        .collect()
}

/// The most characters of a user's value an error quotes.
pub const QUOTE_CHARS: usize = 40;

/// A value the user wrote (a cell, a flag's value, a column name), as one
/// error line quotes it: in single quotes, on one line ([`one_line`]), and
/// at most [`QUOTE_CHARS`] characters of it followed by `…' (N
/// characters)`. A 20 MB CSV cell or a file's first chunk (the process
/// environment, from `/proc/self/environ`) must not become the error.
pub fn quoted(text: &str) -> String {
    let n = text.chars().count();
    if n <= QUOTE_CHARS {
        return format!("'{}'", one_line(text));
    }
    let head: String = text.chars().take(QUOTE_CHARS).collect();
    format!("'{}…' ({n} characters)", one_line(&head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_block_keeps_its_lines_and_escapes_the_rest() {
        assert_eq!(lines("a\nb"), "a\nb");
        assert_eq!(
            lines("│ e\x1b[31mvil\u{202e} │\n│ x │"),
            "│ e\\x1b[31mvil\\u{202e} │\n│ x │"
        );
        assert_eq!(lines("a\r\nb"), "a\\r\nb");
    }

    #[test]
    fn a_quoted_value_is_bounded() {
        assert_eq!(quoted("2027-12-01"), "'2027-12-01'");
        assert_eq!(quoted("a\nb"), "'a\\nb'");
        let long = "1".repeat(20_000_001);
        let q = quoted(&long);
        assert_eq!(q, format!("'{}…' (20000001 characters)", "1".repeat(40)));
        assert_eq!(quoted(&"é".repeat(41)).chars().count(), 1 + 40 + 2 + 16);
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(one_line("login — étape 2"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_and_overrides_become_escapes() {
        assert_eq!(one_line("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(one_line("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(one_line("x\u{7f}\u{85}y"), "x\\x7f\\u{85}y");
        assert_eq!(one_line("ab\u{202e}cd\u{2066}"), "ab\\u{202e}cd\\u{2066}");
        assert_eq!(
            one_line("a\u{2028}b\u{200b}\u{feff}"),
            "a\\u{2028}b\\u{200b}\\u{feff}"
        );
        // Emoji made with zero-width joiners, and right-to-left text, stay.
        assert_eq!(one_line("👩\u{200d}💻 שלום"), "👩\u{200d}💻 שלום");
    }

    #[test]
    fn html_keeps_its_lines_and_loses_its_overrides() {
        assert_eq!(
            no_hidden_layout("<p>a\u{202e}b</p>\n\t<p>\u{2028}</p>"),
            "<p>a\\u{202e}b</p>\n\t<p>\\u{2028}</p>"
        );
        assert!(matches!(no_hidden_layout("שלום\n"), Cow::Borrowed(_)));
    }

    proptest! {
        /// Whatever a name holds, its console form is one line with no
        /// character a terminal obeys, and plain text stays as it was.
        #[test]
        fn nothing_hidden_survives(s in "\\PC{0,20}|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}a-z]{0,20}") {
            let v = one_line(&s);
            prop_assert!(!v.chars().any(hidden));
            if !s.chars().any(hidden) {
                prop_assert_eq!(v.as_ref(), s.as_str());
            }
        }
    }
}
