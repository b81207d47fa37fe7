//! Fuzz targets `test_data` and `extractors`.
//!
//! `test_data`: the CSV files of a group's `data` (src/runner/data.rs),
//! from valid tables mutated structurally (cells at their edges and with
//! quotes, delimiters and line breaks; the header's names invalid or
//! repeated; rows torn, repeated, of another width; a BOM, CRLF), with a
//! plan's `per`, `order`, `at_end` and `delimiter`; 1 case in 20 is a
//! large table (64-256 KiB of one-letter cells, the shape of the shared
//! case data-row-memory-amplification) so that the memory bound's 4x is
//! tested, not only its fixed part. Each case runs `Table::load` and
//! users drawing rows in-process, under the memory bound; every Nth also
//! `pace run --check` of a plan using the file, in a 256 MiB address
//! space.
//!
//! `extractors`: a step's extractor (json pointer, JSONPath, regex,
//! header; with or without a default) in a plan, loaded as `pace run`
//! loads it (`finish::load_plan`: a refusal is one line), then, when the
//! plan is accepted, compiled (`Extractor::build` must succeed) and
//! applied to fuzzed response bodies and headers, under the memory bound
//! (4x the body + 8 MiB; 1 body in 20 is large: 64-256 KiB).

use crate::Known;
use crate::engine::{self, Finding, Outcome, Rng, Target};
use crate::mutate::{self, MAX_TEXT, NUMBERS, STRINGS};
use crate::plan::one_line_error;
use pace::plan::data::DataSection;
use std::path::Path;
use std::sync::Arc;

// ---------------------------------------------------------------- test data

#[derive(Debug, Clone)]
pub struct DataCase {
    pub csv: String,
    pub per: &'static str,
    pub order: &'static str,
    pub at_end: &'static str,
    pub delimiter: String,
    pub binary: bool,
}

fn data_seeds() -> Vec<(String, String)> {
    let skus = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cases/data-exhausted-fixed-pacing/skus.csv"),
    )
    .expect("the skus fixture");
    vec![
        (skus, ",".into()),
        (
            "user,password\nana,pw-ana\nbo,pw-bo\n\"c,d\",\"p\"\"q\"\n".into(),
            ",".into(),
        ),
        (
            "id;name;price\n1;apple;0,5\n2;pear;1,25\n3;\"a;b\";7\n".into(),
            ";".into(),
        ),
        ("a\tb\n1\t2\n3\t4\n".into(), "\t".into()),
        ("q\n\"line\nbreak\"\n\"\"\n日本\n".into(), ",".into()),
    ]
}

fn mutate_data(rng: &mut Rng, text: &str, delim: &str) -> String {
    let d = delim.chars().next().unwrap_or(',');
    let mut ls = mutate::lines(text);
    let rows: Vec<usize> = (1..ls.len()).filter(|&i| !ls[i].is_empty()).collect();
    match rng.below(9) {
        0..=2 if !rows.is_empty() => {
            let i = rng.pick(&rows);
            let mut f: Vec<String> = ls[i].split(d).map(str::to_string).collect();
            let c = rng.below(f.len());
            f[c] = match rng.below(4) {
                0 => rng.pick(NUMBERS).to_string(),
                1 => format!("\"{}\"", rng.pick(STRINGS).replace('"', "\"\"")),
                2 => mutate::long(rng, 'x'),
                _ => rng.pick(STRINGS).to_string(),
            };
            ls[i] = f.join(&d.to_string());
        }
        3 if !ls.is_empty() => {
            let mut f: Vec<String> = ls[0].split(d).map(str::to_string).collect();
            let c = rng.below(f.len());
            match rng.below(3) {
                0 => {
                    f[c] = rng
                        .pick(&["", "1abc", "a b", "é", "x-y", "${x}", " id "])
                        .to_string()
                }
                1 => {
                    let x = f[c].clone();
                    f.push(x)
                }
                _ => {
                    f.remove(c);
                }
            }
            ls[0] = f.join(&d.to_string());
        }
        4 if !rows.is_empty() && text.len() < MAX_TEXT / 2 => {
            let i = rng.pick(&rows);
            let l = ls[i].clone();
            for _ in 0..rng.between(1, 300) {
                ls.insert(i, l.clone());
            }
        }
        5 if !rows.is_empty() => {
            let i = rng.pick(&rows);
            ls[i].push(d);
            ls[i].push_str(rng.pick(STRINGS));
        }
        6 => {
            ls.truncate(1 + usize::from(rng.chance(1, 2)));
        }
        _ => return mutate::text_edit(rng, text),
    }
    mutate::join(&ls)
}

/// A table of `n` bytes of one-letter cells (the shape that amplified most).
fn large_table(rng: &mut Rng) -> String {
    let n = rng.between(64 << 10, 256 << 10);
    let cols = rng.between(1, 8);
    let mut s: String = (0..cols)
        .map(|c| format!("c{c}"))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    while s.len() < n {
        for c in 0..cols {
            s.push(if c == 0 { 'a' } else { ',' });
            if c > 0 {
                s.push('b');
            }
        }
        s.push('\n');
    }
    s
}

pub struct DataTarget {
    seeds: Vec<(String, String)>,
    tmp: tempfile::TempDir,
    bin_every: u64,
}

impl DataTarget {
    pub fn new() -> DataTarget {
        DataTarget {
            seeds: data_seeds(),
            tmp: engine::scratch(),
            bin_every: crate::folders::every("PACE_FUZZ_BIN_EVERY", 10),
        }
    }
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl Target for DataTarget {
    type Input = DataCase;
    const NAME: &'static str = "test_data";
    const CI_CASES: u64 = 600;

    fn generate(&mut self, rng: &mut Rng) -> DataCase {
        let (mut csv, delim) = rng.pick(&self.seeds);
        if rng.chance(1, 20) {
            csv = large_table(rng);
        } else {
            for _ in 0..rng.pick(&[0, 1, 1, 2, 3]) {
                csv = mutate_data(rng, &csv, &delim);
                if csv.len() > MAX_TEXT {
                    csv.truncate(csv.floor_char_boundary(MAX_TEXT));
                }
            }
        }
        let delimiter = if rng.chance(1, 10) {
            rng.pick(&[";", "\t", "", "ab", "é", "\"", "\n", "|"])
                .to_string()
        } else {
            delim
        };
        DataCase {
            csv,
            per: rng.pick(&["iteration", "user"]),
            order: rng.pick(&["sequential", "random"]),
            at_end: rng.pick(&["wrap", "stop"]),
            delimiter,
            binary: rng.chance(1, self.bin_every),
        }
    }

    fn render(&self, c: &DataCase) -> String {
        format!(
            "# data = {{ file = \"d.csv\", per = \"{}\", order = \"{}\", at_end = \"{}\", delimiter = {} }}\n## d.csv\n{}",
            c.per,
            c.order,
            c.at_end,
            toml_str(&c.delimiter),
            c.csv
        )
    }

    fn shrink(&self, c: &DataCase) -> Vec<DataCase> {
        let mut out = Vec::new();
        if c.binary {
            out.push(DataCase {
                binary: false,
                ..c.clone()
            });
        }
        let ls = mutate::lines(&c.csv);
        if ls.len() > 2 {
            for cand in mutate::shrink_lines(&ls[1..].join("\n")) {
                out.push(DataCase {
                    csv: format!("{}\n{cand}", ls[0]),
                    ..c.clone()
                });
            }
        }
        out
    }

    fn known_open(&mut self, _c: &DataCase) -> Option<Known> {
        None
    }

    fn hazard(&mut self, _c: &DataCase) -> Option<String> {
        None
    }

    fn run(&mut self, c: &DataCase, rng: &mut Rng) -> Outcome {
        let dir = self.tmp.path();
        std::fs::write(dir.join("d.csv"), &c.csv).expect("write d.csv");
        let section = format!(
            "file = \"d.csv\"\nper = \"{}\"\norder = \"{}\"\nat_end = \"{}\"\ndelimiter = {}\n",
            c.per,
            c.order,
            c.at_end,
            toml_str(&c.delimiter)
        );
        let d: DataSection = match toml::from_str(&section) {
            Ok(d) => d,
            Err(_) => return Ok(()),
        };
        // The plan's check refuses a delimiter that is not one ASCII
        // character; the reader is given only those.
        if c.delimiter.len() == 1 && c.delimiter.is_ascii() {
            let seed = rng.next_u64();
            engine::within_memory("test data (Table::load)", c.csv.len(), || {
                match pace::runner::data::Table::load(dir, &d) {
                    Ok(t) => {
                        let cols = t.columns.clone();
                        let data = Arc::new(pace::runner::data::Data::new(t, &d, seed));
                        let _ = data.describe();
                        for u in 0..3 {
                            let mut ud = data.user(u);
                            for _ in 0..5 {
                                match ud.next_row() {
                                    Some(r) => {
                                        for col in &cols {
                                            let _ = ud.table().get(r, col);
                                        }
                                    }
                                    None => {
                                        let _ = data.exhausted();
                                        break;
                                    }
                                }
                            }
                        }
                        Ok(())
                    }
                    Err(e) => one_line_error("test data (Table::load)", &e),
                }
            })??;
        }
        if c.binary {
            let plan = format!(
                "[target]\ntps = 1\nresponse_time = \"10ms\"\n[target.embedded]\nlatency = \"1ms\"\n[run]\nduration = \"10s\"\n[[group]]\nname = \"g\"\nusers = 1\n[group.data]\n{section}[group.pacing]\nmode = \"fixed\"\ninterval = \"1s\"\n[[group.step]]\nname = \"s\"\nurl = \"${{PACE_TARGET}}/\"\n"
            );
            std::fs::write(dir.join("plan.toml"), plan).expect("write plan.toml");
            crate::capacity::run_binary(
                vec!["run".into(), "--check".into(), "plan.toml".into()],
                dir,
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- extractors

#[derive(Debug, Clone)]
pub struct ExtractCase {
    /// `json`, `jsonpath`, `regex` or `header`.
    pub kind: &'static str,
    pub expr: String,
    pub default: Option<String>,
    pub body: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

const BODIES: &[&str] = &[
    r#"{"token":"abc123","user":{"id":7,"roles":["a","b"]},"n":1.5e3}"#,
    r#"[{"id":1,"name":"x"},{"id":2,"name":"y","tags":[]}]"#,
    r#"{"data":{"items":[{"sku":"A-1","price":0.5},{"sku":"B-2","price":null}]},"next":null}"#,
    "<html><input name=\"csrf\" value=\"tok-42\"><a href=\"/item/9\">x</a></html>",
    "token=abc; Path=/\nsession=xyz\n",
    "",
    "null",
    "\u{feff}{\"a\":1}",
];

const JSON_EXPRS: &[&str] = &[
    "/token",
    "/user/id",
    "/user/roles/1",
    "/0/name",
    "/data/items/0/sku",
    "",
    "/",
    "/~1",
    "/~2",
    "/a~",
    "/99999999999999999999",
    "/-",
    "/data/items/-1",
    "token",
    "/\u{0}",
];
const JSONPATH_EXPRS: &[&str] = &[
    "$.token",
    "$..id",
    "$[*].name",
    "$.data.items[?@.price > 0].sku",
    "$..*",
    "$[-1:]",
    "$[0:100000000:1]",
    "$[::-1]",
    "$..[?length(@) > 1]",
    "$.",
    "$[",
    "token",
    "$..['a','b']",
    "$[?match(@.sku, '[A-Z]-\\\\d')]",
    "$[?search(@.name, '(a+)+$')]",
];
const REGEX_EXPRS: &[&str] = &[
    "token=(\\w+)",
    "value=\"([^\"]*)\"",
    "(a+)+$",
    "(?i)TOKEN",
    "href=\"/item/(\\d+)\"",
    "(",
    "a{1000}{1000}",
    "\\p{Greek}+",
    "(?s).*",
    "",
    "[",
    "x{99999999}",
    "(?P<n>\\d)",
    "\\",
    "(((((((((((a)))))))))))",
    "^$",
    "(?m)^session=(.*)$",
];
const HEADER_EXPRS: &[&str] = &[
    "set-cookie",
    "X-Token",
    "content-type",
    "",
    "a:b",
    "é",
    "x y",
    "X-TOKEN",
];

pub struct ExtractTarget {
    tmp: tempfile::TempDir,
}

impl ExtractTarget {
    pub fn new() -> ExtractTarget {
        ExtractTarget {
            tmp: engine::scratch(),
        }
    }
}

/// A large body: a wide JSON array or object, or repeated text.
fn large_body(rng: &mut Rng) -> Vec<u8> {
    let n = rng.between(64 << 10, 256 << 10);
    let mut s = String::with_capacity(n + 16);
    match rng.below(4) {
        0 => {
            s.push('[');
            while s.len() < n {
                s.push_str("0,");
            }
            s.push_str("0]");
        }
        1 => {
            s.push('[');
            while s.len() < n {
                s.push_str("{},");
            }
            s.push_str("{}]");
        }
        2 => {
            s.push('{');
            let mut k = 0u64;
            while s.len() < n {
                s.push_str(&format!("\"k{k}\":1,"));
                k += 1;
            }
            s.push_str("\"z\":\"\"}");
        }
        _ => {
            while s.len() < n {
                s.push_str("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
            }
        }
    }
    s.into_bytes()
}

impl Target for ExtractTarget {
    type Input = ExtractCase;
    const NAME: &'static str = "extractors";
    const CI_CASES: u64 = 1000;

    fn generate(&mut self, rng: &mut Rng) -> ExtractCase {
        let kind = rng.pick(&["json", "jsonpath", "regex", "header"]);
        let mut expr = match kind {
            "json" => rng.pick(JSON_EXPRS),
            "jsonpath" => rng.pick(JSONPATH_EXPRS),
            "regex" => rng.pick(REGEX_EXPRS),
            _ => rng.pick(HEADER_EXPRS),
        }
        .to_string();
        if rng.chance(1, 5) {
            expr = mutate::text_edit(rng, &expr);
        }
        if rng.chance(1, 15) {
            expr.push_str(rng.pick(STRINGS));
        }
        let body = if rng.chance(1, 20) {
            large_body(rng)
        } else {
            let mut b = rng.pick(BODIES).to_string();
            for _ in 0..rng.pick(&[0, 1, 1, 2, 3]) {
                b = crate::folders::mutate_json(rng, &b);
                if b.len() > MAX_TEXT {
                    b.truncate(b.floor_char_boundary(MAX_TEXT));
                }
            }
            let mut b = b.into_bytes();
            if rng.chance(1, 10) {
                // Not UTF-8.
                let i = rng.below(b.len() + 1);
                b.insert(i, rng.pick(&[0xff, 0xc3, 0x80, 0xfe]));
            }
            b
        };
        let mut headers = Vec::new();
        for _ in 0..rng.below(3) {
            headers.push((
                rng.pick(HEADER_EXPRS).to_string(),
                rng.pick(&[&b"tok"[..], b"", b"\xff\xfe", b"a=b; c", b"\t x"])
                    .to_vec(),
            ));
        }
        ExtractCase {
            kind,
            expr,
            default: rng.chance(1, 4).then(|| rng.pick(STRINGS).to_string()),
            body,
            headers,
        }
    }

    fn render(&self, c: &ExtractCase) -> String {
        let mut s = format!(
            "# [[group.step.extract]] name = \"v\", {} = {}{}\n",
            c.kind,
            toml_str(&c.expr),
            c.default
                .as_deref()
                .map(|d| format!(", default = {}", toml_str(d)))
                .unwrap_or_default()
        );
        for (k, v) in &c.headers {
            s.push_str(&format!(
                "## header {k:?}: {}\n",
                String::from_utf8_lossy(v)
            ));
        }
        s.push_str(&format!("## body ({} bytes)\n", c.body.len()));
        if c.body.len() > 4096 {
            s.push_str(&String::from_utf8_lossy(&c.body[..4096]));
            s.push_str("...");
        } else {
            s.push_str(&String::from_utf8_lossy(&c.body));
        }
        s
    }

    fn shrink(&self, c: &ExtractCase) -> Vec<ExtractCase> {
        let mut out = Vec::new();
        if !c.headers.is_empty() {
            out.push(ExtractCase {
                headers: Vec::new(),
                ..c.clone()
            });
        }
        if c.default.is_some() {
            out.push(ExtractCase {
                default: None,
                ..c.clone()
            });
        }
        for cut in [c.body.len() / 2, c.body.len() / 4] {
            if cut > 0 {
                out.push(ExtractCase {
                    body: c.body[..cut].to_vec(),
                    ..c.clone()
                });
            }
        }
        out
    }

    fn known_open(&mut self, _c: &ExtractCase) -> Option<Known> {
        // ExtractorBodyAmplification is fixed: a JSON pointer or a JSONPath
        // of names and indices is followed while the body is read; any other
        // JSONPath reads at most WHOLE_BODY_LIMIT bytes as a document, the
        // documented fixed amount below.
        None
    }

    fn hazard(&mut self, _c: &ExtractCase) -> Option<String> {
        None
    }

    fn run(&mut self, c: &ExtractCase, _rng: &mut Rng) -> Outcome {
        let dir = self.tmp.path();
        let plan = format!(
            "[run]\nduration = \"10s\"\n[[group]]\nname = \"g\"\nusers = 1\n[group.pacing]\nmode = \"fixed\"\ninterval = \"1s\"\n[[group.step]]\nname = \"login\"\nurl = \"http://127.0.0.1:1/\"\n[[group.step.extract]]\nname = \"v\"\n{} = {}\n{}",
            c.kind,
            toml_str(&c.expr),
            c.default
                .as_deref()
                .map(|d| format!("default = {}\n", toml_str(d)))
                .unwrap_or_default()
        );
        let path = dir.join("plan.toml");
        std::fs::write(&path, plan).expect("write plan.toml");
        let plan = match pace::cli::finish::load_plan(&path) {
            Ok((p, _, _)) => p,
            Err(e) => return one_line_error("plan with an extractor (load_plan)", &e),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &c.headers {
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.as_bytes()),
                reqwest::header::HeaderValue::from_bytes(v),
            ) {
                headers.append(k, v);
            }
        }
        for g in &plan.groups {
            for s in &g.steps {
                for x in &s.extract {
                    let e = pace::runner::extract::Extractor::build(x).map_err(|(k, e)| {
                        Finding::new(
                            "extractor: the plan accepted it but it does not build",
                            format!("{k}: {e}"),
                        )
                    })?;
                    // A JSONPath the stream cannot follow holds its document:
                    // at most WHOLE_BODY_LIMIT bytes of body, 48 bytes a
                    // node at worst (docs/plan-format.md, extractors).
                    let whole = if c.kind == "jsonpath"
                        && pace::runner::json_find::simple_jsonpath(&c.expr).is_none()
                    {
                        48 * pace::runner::extract::WHOLE_BODY_LIMIT as u64
                    } else {
                        0
                    };
                    let r = engine::within_memory_plus(
                        "extractor (apply)",
                        c.body.len(),
                        whole,
                        || e.apply(&s.name, &headers, &c.body),
                    )?;
                    if let Err(e) = r {
                        one_line_error("extractor (apply)", &e)?;
                    }
                }
            }
        }
        Ok(())
    }
}
