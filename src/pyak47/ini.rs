//! Reads Pyak47's config.cfg the way Python's ConfigParser did, keeping the
//! line of every section and option so that errors can point at them.
//!
//! Hand-written rather than the `configparser` crate: that crate keeps the
//! last of two equal options silently, reports no line numbers and has no
//! `%%` or `%(name)s` interpolation, and all three are what a migration
//! needs to get right or to refuse with a line number.
//!
//! The rules (Python's, noted where Python 2 and 3 differ):
//! - `[name]` opens a section; the name is everything between the brackets,
//!   case-sensitive and not trimmed. `[DEFAULT]` holds defaults for every
//!   other section and is not a section itself.
//! - `option = value` or `option : value`: the name ends at the first `=` or
//!   `:`, is trimmed and lower-cased (option names are case-insensitive).
//! - Lines whose first non-blank character is `#` or `;` are comments, and so
//!   is a `;` preceded by whitespace after a value (Python 2, which Pyak47
//!   ran on). A value of `""` is the empty string.
//! - An indented line after an option continues its value (joined with a
//!   newline).
//! - `%%` is a literal `%`, `%(name)s` is the value of another option of the
//!   same section (or of `[DEFAULT]`); a lone `%` is kept as it is (Python
//!   2's ConfigParser did; Python 3 refuses it).
//! - A section or an option given twice is an error (Python 3's strict mode;
//!   Python 2 silently kept the last one, which hides mistakes).

use std::fmt;

/// One `option = value` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The name as written (trimmed).
    pub written: String,
    /// The name lower-cased: what lookups use.
    pub name: String,
    /// The raw value, before `%` interpolation.
    pub raw: String,
    /// 1-based line of the option.
    pub line: usize,
}

/// One `[section]` and its options, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub name: String,
    /// 1-based line of the header.
    pub line: usize,
    pub entries: Vec<Entry>,
}

impl Section {
    /// The option of this section itself (not `[DEFAULT]`).
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        let name = name.to_lowercase();
        self.entries.iter().find(|e| e.name == name)
    }
}

/// A whole config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ini {
    /// Every section but `[DEFAULT]`, in file order.
    pub sections: Vec<Section>,
    /// The options of `[DEFAULT]`.
    pub defaults: Vec<Entry>,
    /// The line of the first `[DEFAULT]` header, if any.
    pub defaults_line: Option<usize>,
}

/// What is wrong, and on which line (1-based; 0 when no line applies).
#[derive(Debug, Clone, PartialEq)]
pub struct IniError {
    pub line: usize,
    /// The section and option it concerns, e.g. `[global] run_time`, or empty.
    pub option: String,
    pub message: String,
}

impl fmt::Display for IniError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.option.is_empty() {
            write!(f, "{}: {}", self.line, self.message)
        } else {
            write!(f, "{}: {}: {}", self.line, self.option, self.message)
        }
    }
}

fn err(line: usize, option: impl Into<String>, message: impl Into<String>) -> IniError {
    IniError {
        line,
        option: option.into(),
        message: message.into(),
    }
}

/// Python's limit on nested `%(name)s` references.
const MAX_INTERPOLATION_DEPTH: usize = 10;
/// The most `%(name)s` references one value may expand, nested ones
/// included, and the longest value they may make: options that each refer
/// to the one before several times grow as width^depth (a reference bomb),
/// which Python would expand until it ran out of time or memory.
const MAX_INTERPOLATIONS: usize = 1000;
const MAX_INTERPOLATED_LEN: usize = 64 * 1024;

/// Where the options of the current line go.
enum Target {
    None,
    Defaults,
    Section(usize),
}

/// Parses a config file's text.
pub fn parse(text: &str) -> Result<Ini, IniError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ini = Ini::default();
    let mut target = Target::None;
    // The option that an indented line would continue.
    let mut open: Option<(bool, usize)> = None; // (in defaults, entry index)
    for (i, raw_line) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indented = raw_line.starts_with(char::is_whitespace);
        if indented && let Some((in_defaults, idx)) = open {
            let entry = match (in_defaults, &target) {
                (true, _) => &mut ini.defaults[idx],
                (false, Target::Section(s)) => &mut ini.sections[*s].entries[idx],
                _ => unreachable!("an open option belongs to the current section"),
            };
            entry.raw.push('\n');
            entry.raw.push_str(trimmed);
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(end) = rest.find(']') else {
                return Err(err(
                    line,
                    "",
                    format!("`{trimmed}`: a section header needs a closing `]`"),
                ));
            };
            let name = &rest[..end];
            if name.is_empty() {
                return Err(err(line, "", "`[]`: a section needs a name"));
            }
            let after = rest[end + 1..].trim();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(err(
                    line,
                    format!("[{name}]"),
                    format!(
                        "unexpected `{after}` after the section header: put options on their own lines"
                    ),
                ));
            }
            open = None;
            if name == "DEFAULT" {
                target = Target::Defaults;
                ini.defaults_line.get_or_insert(line);
                continue;
            }
            if let Some(prev) = ini.sections.iter().find(|s| s.name == name) {
                return Err(err(
                    line,
                    format!("[{name}]"),
                    format!("the section is given twice (first on line {})", prev.line),
                ));
            }
            ini.sections.push(Section {
                name: name.to_string(),
                line,
                entries: Vec::new(),
            });
            target = Target::Section(ini.sections.len() - 1);
            continue;
        }
        let Some(sep) = trimmed.find(['=', ':']) else {
            return Err(err(
                line,
                "",
                format!("`{trimmed}` is not `option = value`, a [section] header or a comment"),
            ));
        };
        let written = trimmed[..sep].trim().to_string();
        if written.is_empty() {
            return Err(err(
                line,
                "",
                format!("`{trimmed}`: the option has no name"),
            ));
        }
        let name = written.to_lowercase();
        let mut value = trimmed[sep + 1..].trim_start();
        // Python 2: `;` is an inline comment where whitespace precedes it.
        if let Some(pos) = value
            .char_indices()
            .find(|&(p, c)| c == ';' && p > 0 && value[..p].ends_with(char::is_whitespace))
            .map(|(p, _)| p)
        {
            value = &value[..pos];
        }
        let value = value.trim();
        let value = if value == "\"\"" { "" } else { value };
        let (entries, section_name) = match &target {
            Target::None => {
                return Err(err(
                    line,
                    written,
                    "the option comes before any [section] header",
                ));
            }
            Target::Defaults => (&mut ini.defaults, "DEFAULT".to_string()),
            Target::Section(s) => {
                let s = &mut ini.sections[*s];
                (&mut s.entries, s.name.clone())
            }
        };
        if let Some(prev) = entries.iter().find(|e| e.name == name) {
            return Err(err(
                line,
                format!("[{section_name}] {written}"),
                format!(
                    "the option is given twice in the section (first on line {}); option names are case-insensitive",
                    prev.line
                ),
            ));
        }
        entries.push(Entry {
            written,
            name,
            raw: value.to_string(),
            line,
        });
        open = Some((matches!(target, Target::Defaults), entries.len() - 1));
    }
    Ok(ini)
}

impl Ini {
    /// The section named exactly `name` (section names are case-sensitive).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The option `name` of `section`, or of `[DEFAULT]`: the entry and
    /// whether it came from `[DEFAULT]`.
    pub fn lookup<'a>(&'a self, section: &'a Section, name: &str) -> Option<(&'a Entry, bool)> {
        let name = name.to_lowercase();
        section
            .entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| (e, false))
            .or_else(|| {
                self.defaults
                    .iter()
                    .find(|e| e.name == name)
                    .map(|e| (e, true))
            })
    }

    /// The value of option `name` in `section` (or `[DEFAULT]`) after `%`
    /// interpolation, with the entry it came from.
    pub fn get<'a>(
        &'a self,
        section: &'a Section,
        name: &str,
    ) -> Result<Option<(String, &'a Entry, bool)>, IniError> {
        let Some((entry, from_default)) = self.lookup(section, name) else {
            return Ok(None);
        };
        let mut budget = MAX_INTERPOLATIONS;
        let value = self.interpolate(section, entry, &entry.raw, 0, &mut budget)?;
        Ok(Some((value, entry, from_default)))
    }

    fn interpolate(
        &self,
        section: &Section,
        entry: &Entry,
        raw: &str,
        depth: usize,
        budget: &mut usize,
    ) -> Result<String, IniError> {
        let place = || format!("[{}] {}", section.name, entry.written);
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(err(
                entry.line,
                place(),
                "%(name)s references nest too deep (a reference loop?)",
            ));
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(pos) = rest.find('%') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            if let Some(r) = after.strip_prefix('%') {
                out.push('%');
                rest = r;
            } else if let Some(r) = after.strip_prefix('(') {
                let Some(close) = r.find(")s") else {
                    return Err(err(
                        entry.line,
                        place(),
                        format!(
                            "bad reference in `{}`: write %(name)s, or %% for a literal %",
                            one_line(raw)
                        ),
                    ));
                };
                let key = &r[..close];
                let Some((target, _)) = self.lookup(section, key) else {
                    return Err(err(
                        entry.line,
                        place(),
                        format!(
                            "`%({})s` names no option of [{}] or [DEFAULT] (write %% for a literal %)",
                            one_line(key),
                            section.name
                        ),
                    ));
                };
                if *budget == 0 {
                    return Err(err(
                        entry.line,
                        place(),
                        format!(
                            "%(name)s references expand more than {MAX_INTERPOLATIONS} times (options that refer to each other over and over?)"
                        ),
                    ));
                }
                *budget -= 1;
                out.push_str(&self.interpolate(section, target, &target.raw, depth + 1, budget)?);
                if out.len() > MAX_INTERPOLATED_LEN {
                    return Err(err(
                        entry.line,
                        place(),
                        format!(
                            "%(name)s references make the value longer than {} KiB",
                            MAX_INTERPOLATED_LEN / 1024
                        ),
                    ));
                }
                rest = &r[close + 2..];
            } else {
                // A lone % stays (Python 2's ConfigParser kept it).
                out.push('%');
                rest = after;
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// A value continued over several lines, shown on one (errors are one line).
fn one_line(s: &str) -> String {
    s.replace('\n', " ↵ ")
}

/// ConfigParser's getboolean: 1/yes/true/on and 0/no/false/off, any case.
pub fn boolean(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(ini: &Ini, section: &str, name: &str) -> Option<String> {
        let s = ini.section(section).unwrap();
        ini.get(s, name).unwrap().map(|(v, _, _)| v)
    }

    #[test]
    fn both_separators_and_case_insensitive_names() {
        let ini = parse("[global]\nRun_Time = 100\nrampup: 50\nRESULTS_TS_INTERVAL=10\n").unwrap();
        assert_eq!(value(&ini, "global", "run_time").as_deref(), Some("100"));
        assert_eq!(value(&ini, "global", "RUN_TIME").as_deref(), Some("100"));
        assert_eq!(value(&ini, "global", "rampup").as_deref(), Some("50"));
        assert_eq!(
            value(&ini, "global", "results_ts_interval").as_deref(),
            Some("10")
        );
        // The name ends at the first separator; the value keeps the others.
        let ini = parse("[g]\nurl = http://x:80/?a=b\ncmd: a=b\n").unwrap();
        assert_eq!(value(&ini, "g", "url").as_deref(), Some("http://x:80/?a=b"));
        assert_eq!(value(&ini, "g", "cmd").as_deref(), Some("a=b"));
        assert_eq!(
            ini.section("g").unwrap().entry("URL").unwrap().written,
            "url"
        );
    }

    #[test]
    fn percent_escapes_and_references() {
        let ini = parse(
            "[DEFAULT]\nbase = my_project\n[global]\n\
             db = sqlite:///%(base)s/results.db\n\
             hook = echo 100%% done\n\
             lone = 5% off\n\
             deep = %(db)s!\n",
        )
        .unwrap();
        assert_eq!(
            value(&ini, "global", "hook").as_deref(),
            Some("echo 100% done")
        );
        assert_eq!(
            value(&ini, "global", "db").as_deref(),
            Some("sqlite:///my_project/results.db")
        );
        assert_eq!(
            value(&ini, "global", "deep").as_deref(),
            Some("sqlite:///my_project/results.db!")
        );
        assert_eq!(value(&ini, "global", "lone").as_deref(), Some("5% off"));
        let ini = parse("[g]\n\na = %(nope)s\n").unwrap();
        let e = ini.get(ini.section("g").unwrap(), "a").unwrap_err();
        assert_eq!((e.line, e.option.as_str()), (3, "[g] a"), "{e}");
        assert!(e.message.contains("nope"), "{e}");
        let ini = parse("[g]\na = %(b)s\nb = %(a)s\n").unwrap();
        let e = ini.get(ini.section("g").unwrap(), "a").unwrap_err();
        assert!(e.message.contains("too deep"), "{e}");
    }

    #[test]
    fn reference_errors_are_one_line() {
        // Found by tests/fuzz: a continuation line put a newline in the message.
        let ini = parse("[g]\na = %(\n  = 3\nb = %(x\n  y)s\n").unwrap();
        let g = ini.section("g").unwrap();
        for name in ["a", "b"] {
            let e = ini.get(g, name).unwrap_err();
            assert!(!e.to_string().contains('\n'), "{e}");
            assert!(e.message.contains(" ↵ "), "{e}");
        }
    }

    #[test]
    fn a_reference_bomb_is_refused_at_once() {
        // Found by tests/fuzz: 8 references to the option before, 9 deep,
        // expanded 8^8 x 10 bytes (and hung) before this limit.
        let mut text = String::from("[DEFAULT]\nr0 = xxxxxxxxxx\n");
        for d in 1..=9 {
            text.push_str(&format!("r{d} = {}\n", format!("%(r{})s", d - 1).repeat(8)));
        }
        text.push_str("[global]\nhook = %(r9)s\nwide = %(r3)s\nempty = \n");
        // Nothing to copy, but as many references.
        for d in 1..=9 {
            text.push_str(&format!("e{d} = {}\n", format!("%(e{})s", d - 1).repeat(8)));
        }
        text = text.replace("empty = ", "e0 = ");
        let ini = parse(&text).unwrap();
        let g = ini.section("global").unwrap();
        let started = std::time::Instant::now();
        let e = ini.get(g, "hook").unwrap_err();
        assert!(e.message.contains("more than 1000 times"), "{e}");
        let e = ini.get(g, "e9").unwrap_err();
        assert!(e.message.contains("more than 1000 times"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // 8^3 x 10 bytes is long, but no bomb: kept.
        assert_eq!(ini.get(g, "wide").unwrap().unwrap().0.len(), 5120);
        // Few references, but a long value: refused past 64 KiB.
        let long = format!(
            "[g]\na = {}\nb = %(a)s%(a)s%(a)s%(a)s\nc = %(b)s%(b)s%(b)s%(b)s%(b)s%(b)s%(b)s%(b)s\n",
            "x".repeat(4096)
        );
        let ini = parse(&long).unwrap();
        let g = ini.section("g").unwrap();
        assert_eq!(ini.get(g, "b").unwrap().unwrap().0.len(), 4 * 4096);
        let e = ini.get(g, "c").unwrap_err();
        assert!(e.message.contains("longer than 64 KiB"), "{e}");
    }

    #[test]
    fn comments_blank_lines_and_inline_semicolons() {
        let text = "# a comment\n; another\n\n[global] ; trailing comment\n  # indented comment\n\
                    run_time = 100 ; seconds\nhook = a;b\nempty = \"\"\nhash = x # kept, as Python did\n";
        let ini = parse(text).unwrap();
        assert_eq!(value(&ini, "global", "run_time").as_deref(), Some("100"));
        assert_eq!(value(&ini, "global", "hook").as_deref(), Some("a;b"));
        assert_eq!(value(&ini, "global", "empty").as_deref(), Some(""));
        assert_eq!(
            value(&ini, "global", "hash").as_deref(),
            Some("x # kept, as Python did")
        );
        assert_eq!(ini.section("global").unwrap().line, 4);
        assert_eq!(
            ini.section("global")
                .unwrap()
                .entry("run_time")
                .unwrap()
                .line,
            6
        );
    }

    #[test]
    fn continuation_lines_crlf_and_bom() {
        let ini = parse("\u{feff}[g]\r\ncmd = one\r\n  two\r\n\r\nnext = 1\r\n").unwrap();
        assert_eq!(value(&ini, "g", "cmd").as_deref(), Some("one\ntwo"));
        assert_eq!(value(&ini, "g", "next").as_deref(), Some("1"));
    }

    #[test]
    fn every_section_is_kept_in_order_whatever_its_name() {
        let ini =
            parse("[zeta]\na=1\n[global]\n[Global]\n[ spaced ]\n[DEFAULT]\nthreads = 3\n[alpha]\n")
                .unwrap();
        let names: Vec<&str> = ini.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["zeta", "global", "Global", " spaced ", "alpha"]);
        // [DEFAULT] is not a section, but its options are everyone's.
        assert_eq!(value(&ini, "alpha", "threads").as_deref(), Some("3"));
        assert_eq!(ini.defaults_line, Some(6));
        let s = ini.section("zeta").unwrap();
        assert!(ini.get(s, "threads").unwrap().unwrap().2, "from [DEFAULT]");
        assert!(!ini.get(s, "a").unwrap().unwrap().2);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("[global]\nrun_time = 1\n\nRUN_TIME = 2\n").unwrap_err();
        assert_eq!((e.line, e.option.as_str()), (4, "[global] RUN_TIME"), "{e}");
        assert!(e.message.contains("first on line 2"), "{e}");
        let e = parse("[a]\n[b]\n[a]\n").unwrap_err();
        assert_eq!((e.line, e.option.as_str()), (3, "[a]"), "{e}");
        let e = parse("# c\nrun_time = 1\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("before any [section]"), "{e}");
        let e = parse("[global]\njust words\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("[global\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        let e = parse("[g]\n= 3\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("[g] threads = 3\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn booleans_as_getboolean() {
        for t in ["1", "yes", "TRUE", "On"] {
            assert_eq!(boolean(t), Some(true), "{t}");
        }
        for f in ["0", "No", "false", "OFF"] {
            assert_eq!(boolean(f), Some(false), "{f}");
        }
        assert_eq!(boolean("maybe"), None);
        assert_eq!(boolean(""), None);
    }
}
