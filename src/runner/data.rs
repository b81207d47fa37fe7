//! A group's test data at run time: the CSV file read once, and how each
//! user draws its rows (plan/data.rs holds the settings).
//!
//! - `per = "iteration"`, sequential: one cursor shared by the group's
//!   users (JMeter's "all threads" sharing): each iteration start takes
//!   the next row.
//! - random (either `per`): a uniformly random row from the user's own
//!   generator, seeded from the run seed and the user's global id, so a
//!   run with the same seed draws the same rows. Never runs out.
//! - `per = "user"`, sequential: user `u` (its global id, so shards take
//!   distinct rows) keeps row `u`; past the last row it wraps, or with
//!   `at_end = "stop"` that user does not run.

use crate::plan::data::{AtEnd, DataOrder, DataPer, DataSection, is_variable_name};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The largest data file pace reads: its cells are held in memory, once
/// (about the file's size, plus 4 bytes per cell: [`Table`]).
pub const MAX_DATA_BYTES: u64 = 256 << 20;

/// A CSV file read whole: its header and rows. The cells are kept in one
/// string with an end offset per cell, so memory is the file's text plus
/// 4 bytes a cell (2.5 times a file of one-letter rows), where a `String`
/// per cell took ~80 times the file (the case
/// data-row-memory-amplification: 1.67 GB for 20 MB).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file as the plan names it, for messages.
    pub file: String,
    pub columns: Vec<String>,
    /// Every cell's text, row after row.
    cells: String,
    /// The end of each cell in `cells` (row r, column c: index r·width + c;
    /// it starts where the one before ends). u32: `cells` is at most
    /// [`MAX_DATA_BYTES`].
    ends: Vec<u32>,
}

impl Table {
    /// Reads `file` (relative to `dir`): a regular file only (a FIFO or
    /// `/dev/zero` is refused at once, as every file pace reads), of at
    /// most [`MAX_DATA_BYTES`]. Errors are one line naming the file and,
    /// for a bad row, its line.
    pub fn load(dir: &Path, d: &DataSection) -> Result<Table, String> {
        let path = dir.join(&d.file);
        let f = crate::input::open_regular(&path).map_err(|e| format!("'{}': {e}", d.file))?;
        let len = f
            .metadata()
            .map_err(|e| format!("'{}': {}", d.file, crate::input::plain(&e)))?
            .len();
        let too_large = |n: u64| {
            format!(
                "'{}' is {n} bytes; test data is held in memory, at most {} MiB",
                d.file,
                MAX_DATA_BYTES >> 20
            )
        };
        if len > MAX_DATA_BYTES {
            return Err(too_large(len));
        }
        // Bounded even if the file grows while it is read.
        let reader = std::io::BufReader::new(std::io::Read::take(f, MAX_DATA_BYTES + 1));
        let t = Table::parse(&d.file, reader, d.delimiter_byte())?;
        if t.cells.len() as u64 > MAX_DATA_BYTES {
            return Err(too_large(t.cells.len() as u64));
        }
        Ok(t)
    }

    /// Parses CSV text whose first row is the header.
    pub fn parse<R: std::io::Read>(file: &str, text: R, delimiter: u8) -> Result<Table, String> {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(text);
        let columns: Vec<String> = match r.headers() {
            Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
            Err(e) => return Err(format!("'{file}': {}", csv_error(&e))),
        };
        if columns.is_empty() || columns.iter().all(String::is_empty) {
            return Err(format!(
                "'{file}' has no header row (its first row names the variables)"
            ));
        }
        for (i, c) in columns.iter().enumerate() {
            if !is_variable_name(c) {
                return Err(format!(
                    "'{file}' column {} {} is not a variable name (a letter or _, then letters, digits or _)",
                    i + 1,
                    crate::visible::quoted(c)
                ));
            }
            if columns[..i].contains(c) {
                return Err(format!(
                    "'{file}' has two columns named {}",
                    crate::visible::quoted(c)
                ));
            }
        }
        let mut cells = String::new();
        let mut ends = Vec::new();
        // One record reused: no allocation per row.
        let mut rec = csv::StringRecord::new();
        loop {
            match r.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(format!("'{file}': {}", csv_error(&e))),
            }
            for field in rec.iter() {
                cells.push_str(field);
                let end = u32::try_from(cells.len()).map_err(|_| {
                    format!("'{file}': more than {} MiB of cells", MAX_DATA_BYTES >> 20)
                })?;
                ends.push(end);
            }
        }
        if ends.is_empty() {
            return Err(format!("'{file}' has a header but no rows"));
        }
        cells.shrink_to_fit();
        ends.shrink_to_fit();
        Ok(Table {
            file: file.to_string(),
            columns,
            cells,
            ends,
        })
    }

    /// How many rows (the header not counted).
    pub fn len(&self) -> usize {
        self.ends.len() / self.columns.len().max(1)
    }

    /// Whether it has no rows (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The value of `column` in row `row`.
    pub fn get(&self, row: usize, column: &str) -> Option<&str> {
        let c = self.columns.iter().position(|n| n == column)?;
        if row >= self.len() {
            return None;
        }
        let i = row * self.columns.len() + c;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(&self.cells[start..self.ends[i] as usize])
    }
}

/// The csv crate's error in one line, with the file's line where it has one.
fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: {len} fields where the header has {expected_len}",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        csv::ErrorKind::Utf8 { pos, .. } => format!(
            "line {}: not UTF-8 text",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        _ => e.to_string(),
    }
}

/// A group's test data, shared by its users.
#[derive(Debug)]
pub struct Data {
    pub table: Arc<Table>,
    per: DataPer,
    order: DataOrder,
    at_end: AtEnd,
    /// The next row of a shared sequential cursor.
    cursor: AtomicU64,
    seed: u64,
    /// Whether running out was already announced on stderr.
    announced: AtomicBool,
}

/// One user's draws.
#[derive(Debug)]
pub struct UserData {
    data: Arc<Data>,
    user: u32,
    rng: Xoshiro256PlusPlus,
    /// The row kept for all iterations (`per = "user"`).
    kept: Option<usize>,
}

impl Data {
    pub fn new(table: Table, d: &DataSection, seed: u64) -> Data {
        Data {
            table: Arc::new(table),
            per: d.per,
            order: d.order,
            at_end: d.at_end,
            cursor: AtomicU64::new(0),
            seed,
            announced: AtomicBool::new(false),
        }
    }

    /// User `user`'s (global id) draws.
    pub fn user(self: &Arc<Self>, user: u32) -> UserData {
        // Its own stream: run seed, user and a constant that keeps it apart
        // from the schedule's and the think times' streams.
        let seed =
            self.seed ^ 0xD47A_5EED_0000_0000 ^ (user as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        UserData {
            data: self.clone(),
            user,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            kept: None,
        }
    }

    /// Why users stop: the file ran out.
    pub fn exhausted(&self) -> String {
        format!(
            "test data exhausted: {} has {} rows (at_end = \"stop\")",
            self.table.file,
            self.table.len()
        )
    }

    /// True the first time it is asked: the run says once that it ran out.
    pub fn first_to_announce(&self) -> bool {
        !self.announced.swap(true, Ordering::Relaxed)
    }

    /// A line for `pace run --check`.
    pub fn describe(&self) -> String {
        format!(
            "{}: {} rows, columns {}; per {}, {}, at end {}",
            self.table.file,
            self.table.len(),
            self.table.columns.join(", "),
            self.per.name(),
            self.order.name(),
            self.at_end.name()
        )
    }
}

impl UserData {
    /// The row for the next iteration; `None` when the data ran out
    /// (`at_end = "stop"`).
    pub fn next_row(&mut self) -> Option<usize> {
        let d = &self.data;
        let n = d.table.len();
        if let Some(r) = self.kept {
            return Some(r);
        }
        let row = match (d.order, d.per) {
            (DataOrder::Random, _) => self.rng.random_range(0..n),
            (DataOrder::Sequential, DataPer::Iteration) => {
                let i = d.cursor.fetch_add(1, Ordering::Relaxed) as usize;
                self.wrap_or_stop(i)?
            }
            (DataOrder::Sequential, DataPer::User) => self.wrap_or_stop(self.user as usize)?,
        };
        if d.per == DataPer::User {
            self.kept = Some(row);
        }
        Some(row)
    }

    fn wrap_or_stop(&self, i: usize) -> Option<usize> {
        let n = self.data.table.len();
        match self.data.at_end {
            AtEnd::Wrap => Some(i % n),
            AtEnd::Stop => (i < n).then_some(i),
        }
    }

    /// The table the rows index.
    pub fn table(&self) -> &Table {
        &self.data.table
    }

    /// The group's shared data.
    pub fn shared(&self) -> &Data {
        &self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(per: DataPer, order: DataOrder, at_end: AtEnd) -> DataSection {
        DataSection {
            file: "users.csv".into(),
            per,
            order,
            at_end,
            delimiter: ",".into(),
        }
    }

    fn table(rows: usize) -> Table {
        let mut text = String::from("user,password\n");
        for i in 0..rows {
            text.push_str(&format!("u{i},p{i}\n"));
        }
        Table::parse("users.csv", text.as_bytes(), b',').unwrap()
    }

    fn data(rows: usize, per: DataPer, order: DataOrder, at_end: AtEnd) -> Arc<Data> {
        Arc::new(Data::new(table(rows), &section(per, order, at_end), 7))
    }

    #[test]
    fn a_table_is_read_with_its_header() {
        let t = table(3);
        assert_eq!(t.columns, vec!["user", "password"]);
        assert_eq!(t.get(2, "password"), Some("p2"));
        assert_eq!(t.get(0, "nope"), None);
        let t = Table::parse("x.csv", &b"a;b\n1;\"x;y\"\n"[..], b';').unwrap();
        assert_eq!(t.get(0, "b"), Some("x;y"));
    }

    #[test]
    fn bad_files_are_named_with_the_problem() {
        let e = |text: &str| Table::parse("u.csv", text.as_bytes(), b',').unwrap_err();
        assert!(e("").contains("no header"), "{}", e(""));
        assert!(e("user\n").contains("no rows"), "{}", e("user\n"));
        let r = e("user,pw\na,b\nc\n");
        assert!(r.contains("u.csv") && r.contains("line 3"), "{r}");
        assert!(e("user name,pw\na,b\n").contains("'user name' is not a variable name"));
        assert!(e("a,a\n1,2\n").contains("two columns"));
        let dir = tempfile::tempdir().unwrap();
        let missing = Table::load(
            dir.path(),
            &section(DataPer::User, DataOrder::Random, AtEnd::Wrap),
        )
        .unwrap_err();
        assert!(missing.contains("'users.csv'"), "{missing}");
    }

    #[test]
    fn a_shared_sequential_cursor_wraps_or_stops() {
        let d = data(3, DataPer::Iteration, DataOrder::Sequential, AtEnd::Wrap);
        let (mut a, mut b) = (d.user(0), d.user(1));
        let got: Vec<_> = (0..4).flat_map(|_| [a.next_row(), b.next_row()]).collect();
        assert_eq!(
            got,
            [0, 1, 2, 0, 1, 2, 0, 1].map(Some).to_vec(),
            "one cursor for the group, wrapping"
        );
        let d = data(3, DataPer::Iteration, DataOrder::Sequential, AtEnd::Stop);
        let mut a = d.user(0);
        let got: Vec<_> = (0..5).map(|_| a.next_row()).collect();
        assert_eq!(got, vec![Some(0), Some(1), Some(2), None, None]);
        assert!(d.exhausted().contains("users.csv has 3 rows"));
    }

    #[test]
    fn per_user_rows_follow_the_global_user_id() {
        let d = data(3, DataPer::User, DataOrder::Sequential, AtEnd::Wrap);
        let mut u4 = d.user(4);
        assert_eq!((u4.next_row(), u4.next_row()), (Some(1), Some(1)));
        let d = data(3, DataPer::User, DataOrder::Sequential, AtEnd::Stop);
        assert_eq!(d.user(2).next_row(), Some(2));
        assert_eq!(d.user(3).next_row(), None);
    }

    #[test]
    fn random_rows_are_reproducible_and_cover_the_file() {
        let d = data(10, DataPer::Iteration, DataOrder::Random, AtEnd::Stop);
        let draws = |u| {
            let mut x = d.user(u);
            (0..200).map(|_| x.next_row().unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
        let mut seen = draws(1);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 10, "every row drawn, never exhausted");
        // Per user, random: one row kept for all iterations.
        let d = data(10, DataPer::User, DataOrder::Random, AtEnd::Wrap);
        let mut u = d.user(3);
        let first = u.next_row();
        assert!((0..20).all(|_| u.next_row() == first));
    }
}
