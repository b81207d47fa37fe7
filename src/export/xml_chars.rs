//! Characters XML 1.0 forbids, kept out of results.xml, junit.xml and
//! report.html.
//!
//! XML 1.0 allows no C0 control character but tab, newline and carriage
//! return, and neither U+FFFE nor U+FFFF, anywhere in a document, not even
//! as a character reference: one of them and a parser rejects the whole
//! file. Step names and error texts (a script's exception, a server's
//! reason phrase) may carry any of them, an ANSI colour's ESC most often.
//! Each is replaced by a visible escape, `\x1b` for a C0 control and
//! `\u{fffe}` / `\u{ffff}` for the two non-characters, so a reader still
//! sees what was there (U+FFFD would say only that something was). The raw
//! samples keep the text as it was: `samples.csv` is the record, these
//! files are views of it.
//!
//! The filter works on the bytes a writer emits, so no attribute or text
//! of a format can be missed: these characters are never part of markup.

use std::borrow::Cow;
use std::io::{self, Write};

/// The escape that replaces a forbidden character, if `c` is one.
fn escape(c: char) -> Option<String> {
    match c {
        '\t' | '\n' | '\r' => None,
        '\u{0}'..='\u{1f}' => Some(format!("\\x{:02x}", c as u32)),
        '\u{fffe}' | '\u{ffff}' => Some(format!("\\u{{{:x}}}", c as u32)),
        _ => None,
    }
}

/// `text` with every character XML 1.0 forbids escaped; borrowed when it
/// holds none.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| escape(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match escape(c) {
            Some(e) => out.push_str(&e),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A writer that escapes, on their way to `inner`, the characters XML 1.0
/// forbids. Its input must be UTF-8 (split anywhere across writes); call
/// [`XmlChars::finish`] at the end.
pub struct XmlChars<W: Write> {
    inner: W,
    /// The first bytes of a 3-byte character that a write split (it might
    /// be U+FFFE or U+FFFF): they wait for the rest.
    held: Vec<u8>,
}

impl<W: Write> XmlChars<W> {
    pub fn new(inner: W) -> XmlChars<W> {
        XmlChars {
            inner,
            held: Vec::new(),
        }
    }

    /// Writes what is still held and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        let held = std::mem::take(&mut self.held);
        self.inner.write_all(&held)?;
        self.inner.flush()
    }

    fn write_clean(&mut self, body: &[u8]) -> io::Result<()> {
        let mut start = 0;
        let mut i = 0;
        while i < body.len() {
            let found = match (body[i], body.get(i + 1).copied(), body.get(i + 2).copied()) {
                (b @ 0..=0x1f, _, _) => Some((1, b as char)),
                // U+FFFE and U+FFFF are EF BF BE and EF BF BF; 0xEF only
                // ever starts a 3-byte character.
                (0xef, Some(0xbf), Some(0xbe)) => Some((3, '\u{fffe}')),
                (0xef, Some(0xbf), Some(0xbf)) => Some((3, '\u{ffff}')),
                _ => None,
            };
            match found.and_then(|(len, c)| Some((len, escape(c)?))) {
                Some((len, e)) => {
                    self.inner.write_all(&body[start..i])?;
                    self.inner.write_all(e.as_bytes())?;
                    i += len;
                    start = i;
                }
                None => i += 1,
            }
        }
        self.inner.write_all(&body[start..])
    }
}

impl<W: Write> Write for XmlChars<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let joined;
        let data: &[u8] = if self.held.is_empty() {
            buf
        } else {
            self.held.extend_from_slice(buf);
            joined = std::mem::take(&mut self.held);
            &joined
        };
        let keep = if data.ends_with(&[0xef, 0xbf]) {
            2
        } else if data.ends_with(&[0xef]) {
            1
        } else {
            0
        };
        let (body, tail) = data.split_at(data.len() - keep);
        self.write_clean(body)?;
        self.held.extend_from_slice(tail);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "a\u{0}b\u{1b}[31mc\td\ne\rf\u{fffe}g\u{ffff}h\u{fffd}é\u{7f}";
    const CLEAN: &str = "a\\x00b\\x1b[31mc\td\ne\rf\\u{fffe}g\\u{ffff}h\u{fffd}é\u{7f}";

    #[test]
    fn forbidden_characters_become_visible_escapes() {
        assert_eq!(clean(NASTY), CLEAN);
        assert!(matches!(clean("plain <text> ü"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_agrees_with_clean_however_the_input_is_split() {
        let bytes = NASTY.as_bytes();
        for chunk in 1..=bytes.len() {
            let mut out = Vec::new();
            let mut w = XmlChars::new(&mut out);
            for part in bytes.chunks(chunk) {
                w.write_all(part).unwrap();
            }
            w.finish().unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), CLEAN, "chunks of {chunk}");
        }
    }
}
