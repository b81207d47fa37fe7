//! Mutations shared by the targets: interesting values by type, and line-
//! and text-level edits of a file that stay close to its structure.

use crate::engine::Rng;

/// The largest input a target builds: bounded, so that no case is slow
/// because it is big.
pub const MAX_TEXT: usize = 16 * 1024;

/// Numbers that break arithmetic: huge, tiny, negative, zero, non-finite,
/// past the integer types' edges.
pub const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-0.0",
    "1",
    "-1",
    "0.5",
    "2",
    "7",
    "100",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "5e-324",
    "1e-300",
    "1e-9",
    "0.000001",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "+inf",
    "4294967295",
    "4294967296",
    "65535",
    "65536",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "1e19",
    "1e15",
    "3600",
    "86400",
    "0x10",
    "1_000",
    "1.",
    ".5",
    "1e",
    "--1",
];

/// Durations as people (and fuzzers) write them.
pub const DURATIONS: &[&str] = &[
    "0s",
    "1us",
    "1µs",
    "0.001ms",
    "500ms",
    "1.5s",
    "2m",
    "1h",
    "1h30m",
    "24h",
    "1e308s",
    "1e308",
    "18446744073709551616s",
    "99999999999999999999h",
    "1000000000000000000000000s",
    "5e-324",
    "0.000000001s",
    "-1s",
    "-0s",
    "nan",
    "NaNs",
    "inf",
    "infs",
    "1.5.5s",
    "s",
    "",
    " ",
    "1 h",
    "1x",
    "10",
    "١s",
    "1s\u{0}",
    "1hh",
    "60m60s",
    "0.5",
];

/// Strings with trouble in them.
pub const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "é",
    "日本語",
    "\u{202e}rtl",
    "\u{0}",
    "\u{7}bell",
    "tab\there",
    "line\nbreak",
    "\r",
    "\u{feff}",
    "\u{fffd}",
    "\"",
    "'",
    "\\",
    "%",
    "%%",
    "%(x)s",
    "${UNSET_PACE_FUZZ_VAR}",
    "${X:-",
    "${PACE_TARGET}/",
    "http://",
    "http://127.0.0.1:99999/",
    "ftp://127.0.0.1/",
    "../../etc",
    "/dev/null",
    "a,b",
    "[x]",
    "# not a comment",
    "None",
];

/// A long string of `c`.
pub fn long(rng: &mut Rng, c: char) -> String {
    std::iter::repeat_n(c, rng.between(200, 4000)).collect()
}

/// A number from [`NUMBERS`], or the given one perturbed.
pub fn number(rng: &mut Rng, near: Option<f64>) -> String {
    match (near, rng.below(4)) {
        (Some(v), 0) => {
            let f = rng.pick(&[
                -1.0, 0.0, 1e-300, 1e-9, 0.001, 0.999_999, 1.000_001, 10.0, 1e9, 1e300,
            ]);
            format!("{}", v * f)
        }
        (Some(v), 1) => format!("{}", v + rng.pick(&[-1.0, 1.0, -v, 0.5, 1e-12])),
        _ => rng.pick(NUMBERS).to_string(),
    }
}

/// Replaces a digit run of `s` by an interesting number.
pub fn perturb_digits(rng: &mut Rng, s: &str) -> String {
    let spans: Vec<(usize, usize)> = {
        let b = s.as_bytes();
        let mut v = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let st = i;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                v.push((st, i));
            } else {
                i += 1;
            }
        }
        v
    };
    if spans.is_empty() {
        return s.to_string();
    }
    let (a, b) = rng.pick(&spans);
    let near = s[a..b].parse::<f64>().ok();
    format!("{}{}{}", &s[..a], number(rng, near), &s[b..])
}

/// A character that breaks parsers.
pub fn odd_char(rng: &mut Rng) -> char {
    rng.pick(&[
        '"', '\'', '[', ']', '=', ':', '\n', '\r', '\0', '\u{7f}', '\u{feff}', '#', ';', '\\', 'é',
        '\u{2028}', '%', '{', '}', ',', ' ', '\t', '-', '.', '0', '9', 'e', '\u{fffd}',
    ])
}

/// Splits text into lines, keeping each line's terminator out.
pub fn lines(text: &str) -> Vec<String> {
    text.split('\n').map(str::to_string).collect()
}

pub fn join(lines: &[String]) -> String {
    lines.join("\n")
}

/// A text-level edit: truncate, delete or insert a character, delete,
/// duplicate or swap lines, CRLF or a BOM. Keeps char boundaries.
pub fn text_edit(rng: &mut Rng, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut ls = lines(text);
    match rng.below(11) {
        0 => chars[..rng.below(chars.len() + 1)].iter().collect(),
        1 if !chars.is_empty() => {
            let i = rng.below(chars.len());
            chars[..i].iter().chain(chars[i + 1..].iter()).collect()
        }
        2 => {
            let i = rng.below(chars.len() + 1);
            let c = odd_char(rng);
            chars[..i]
                .iter()
                .chain(std::iter::once(&c))
                .chain(chars[i..].iter())
                .collect()
        }
        3 if !ls.is_empty() => {
            ls.remove(rng.below(ls.len()));
            join(&ls)
        }
        4 if !ls.is_empty() => {
            let i = rng.below(ls.len());
            let l = ls[i].clone();
            ls.insert(rng.below(ls.len() + 1), l);
            join(&ls)
        }
        5 if ls.len() > 1 => {
            let (a, b) = (rng.below(ls.len()), rng.below(ls.len()));
            ls.swap(a, b);
            join(&ls)
        }
        6 => text.replace('\n', "\r\n"),
        7 => format!("\u{feff}{text}"),
        8 if !ls.is_empty() => {
            // Truncate one line in the middle.
            let i = rng.below(ls.len());
            let cs: Vec<char> = ls[i].chars().collect();
            ls[i] = cs[..rng.below(cs.len() + 1)].iter().collect();
            join(&ls)
        }
        9 => perturb_digits(rng, text),
        _ => {
            // Indent a line (a continuation line, in INI).
            if ls.is_empty() {
                return text.to_string();
            }
            let i = rng.below(ls.len());
            ls[i] = format!("  {}", ls[i]);
            join(&ls)
        }
    }
}

/// Line-removal candidates for shrinking: big chunks first, then single
/// lines, then the trimming of each line's tail.
pub fn shrink_lines(text: &str) -> Vec<String> {
    let ls = lines(text);
    let n = ls.len();
    let mut out = Vec::new();
    let mut chunk = n / 2;
    while chunk >= 1 {
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            let mut v = ls.clone();
            v.drain(start..end);
            out.push(join(&v));
            start = end;
        }
        chunk /= 2;
    }
    // Drop comments after values, then shorten long lines.
    for (i, l) in ls.iter().enumerate() {
        if let Some(p) = l.find(" #") {
            let mut v = ls.clone();
            v[i] = l[..p].trim_end().to_string();
            out.push(join(&v));
        }
        if l.chars().count() > 40 {
            let mut v = ls.clone();
            v[i] = l.chars().take(40).collect();
            out.push(join(&v));
        }
    }
    out
}
