//! The errors of a run, deduplicated: one row per timer × kind × status ×
//! message, with how often and when (first and last send time). Folded per
//! failed sample by the aggregate, live and on re-processing alike.
//!
//! Memory stays bounded whatever a target sends: at most [`ERROR_ROWS`]
//! distinct rows, each message cut to [`ERROR_MESSAGE_MAX`] bytes; an error
//! that would open a row past the cap is counted in its timer × kind's
//! "other messages" row instead (one per timer × kind, and timers and kinds
//! are already bounded by the aggregate's own maps).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// The most distinct (timer, kind, status, message) rows kept.
pub const ERROR_ROWS: usize = 300;

/// The longest message kept in a row, in bytes (cut at a character
/// boundary and marked with "…"): a script's traceback can be long, and a
/// row's identity is its start.
pub const ERROR_MESSAGE_MAX: usize = 400;

/// One row of the errors table. Times are seconds since the run's start,
/// the send times of the first and the last failed sample of the row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorRow {
    pub timer: String,
    /// The error kind's name (`status`, `connect`, `timeout`, ...).
    pub kind: String,
    /// The HTTP status (0 where there was no response).
    pub status: u16,
    /// The (redacted) message, at most [`ERROR_MESSAGE_MAX`] bytes; empty
    /// in an `other` row.
    pub message: String,
    /// True for the row that counts this timer × kind's errors whose
    /// message found no room once [`ERROR_ROWS`] rows were taken.
    pub other: bool,
    pub count: u64,
    pub first_s: f64,
    pub last_s: f64,
}

impl ErrorRow {
    fn new(timer: &str, kind: &str, status: u16, message: String, other: bool, t: f64) -> Self {
        ErrorRow {
            timer: timer.to_string(),
            kind: kind.to_string(),
            status,
            message,
            other,
            count: 0,
            first_s: t,
            last_s: t,
        }
    }

    fn add(&mut self, t: f64) {
        self.count += 1;
        self.first_s = self.first_s.min(t);
        self.last_s = self.last_s.max(t);
    }
}

/// `message` cut to at most `max` bytes at a character boundary, "…" added
/// where it was cut.
fn cut(message: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if message.len() <= max {
        return message.into();
    }
    let mut end = max;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end]).into()
}

/// The deduplicated errors folded so far.
#[derive(Debug, Clone, Default)]
pub struct ErrorTable {
    rows: Vec<ErrorRow>,
    /// A row's key hash to the rows with that hash (collisions are told
    /// apart by comparing the keys): no key is allocated for an error whose
    /// row exists, on the hot path of a failing target.
    index: FxHashMap<u64, Vec<usize>>,
    /// The "other messages" rows, per (timer, kind).
    other: BTreeMap<(String, String), ErrorRow>,
}

fn key_hash(timer: &str, kind: &str, status: u16, message: &str) -> u64 {
    // SipHash with fixed keys: the same on every run (only the speed of a
    // look-up depends on it, never the output).
    let mut h = DefaultHasher::new();
    (timer, kind, status, message).hash(&mut h);
    h.finish()
}

impl ErrorTable {
    /// Counts one failed sample of `timer`, sent at `t` seconds.
    pub fn add(&mut self, timer: &str, kind: &str, status: u16, message: &str, t: f64) {
        let message = cut(message, ERROR_MESSAGE_MAX);
        let h = key_hash(timer, kind, status, &message);
        let slots = self.index.get(&h);
        let found = slots.and_then(|ix| {
            ix.iter().copied().find(|&i| {
                let r = &self.rows[i];
                r.status == status && r.kind == kind && r.timer == timer && r.message == message
            })
        });
        if let Some(i) = found {
            self.rows[i].add(t);
        } else if self.rows.len() < ERROR_ROWS {
            let mut row = ErrorRow::new(timer, kind, status, message.into_owned(), false, t);
            row.add(t);
            self.index.entry(h).or_default().push(self.rows.len());
            self.rows.push(row);
        } else {
            match self.other.get_mut(&(timer.to_string(), kind.to_string())) {
                Some(r) => r.add(t),
                None => {
                    let mut row = ErrorRow::new(timer, kind, 0, String::new(), true, t);
                    row.add(t);
                    self.other
                        .insert((timer.to_string(), kind.to_string()), row);
                }
            }
        }
    }

    /// Every row: the distinct ones by timer, kind, status and message,
    /// each timer × kind's "other messages" row after its own.
    pub fn rows(&self) -> Vec<ErrorRow> {
        let mut out: Vec<ErrorRow> = self
            .rows
            .iter()
            .chain(self.other.values())
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (&a.timer, &a.kind, a.other, a.status, &a.message)
                .cmp(&(&b.timer, &b.kind, b.other, b.status, &b.message))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_error_is_one_row_with_its_count_and_times() {
        let mut t = ErrorTable::default();
        for i in 0..5 {
            t.add("home", "status", 500, "HTTP 500", 10.0 + i as f64);
        }
        t.add("home", "status", 503, "HTTP 503", 12.5);
        t.add("cart", "status", 500, "HTTP 500", 3.0);
        t.add("home", "timeout", 0, "HTTP 500", 1.0);
        let rows = t.rows();
        assert_eq!(rows.len(), 4);
        let r = rows
            .iter()
            .find(|r| r.timer == "home" && r.status == 500 && r.kind == "status")
            .unwrap();
        assert_eq!((r.count, r.first_s, r.last_s), (5, 10.0, 14.0));
        // Ordered by timer, then kind, then status.
        let order: Vec<(&str, &str, u16)> = rows
            .iter()
            .map(|r| (r.timer.as_str(), r.kind.as_str(), r.status))
            .collect();
        assert_eq!(
            order,
            [
                ("cart", "status", 500),
                ("home", "status", 500),
                ("home", "status", 503),
                ("home", "timeout", 0)
            ]
        );
    }

    #[test]
    fn distinct_rows_are_capped_and_the_rest_counted_per_timer_and_kind() {
        let mut t = ErrorTable::default();
        // Every message unique, as a target echoing a request id sends them.
        for i in 0..(ERROR_ROWS + 250) {
            let timer = if i % 2 == 0 { "a" } else { "b" };
            t.add(timer, "status", 500, &format!("id {i}"), i as f64);
        }
        let rows = t.rows();
        let others: Vec<&ErrorRow> = rows.iter().filter(|r| r.other).collect();
        assert_eq!(
            rows.len(),
            ERROR_ROWS + 2,
            "the cap and one other row per timer"
        );
        assert_eq!(others.len(), 2);
        assert_eq!(others.iter().map(|r| r.count).sum::<u64>(), 250);
        assert_eq!(
            rows.iter().map(|r| r.count).sum::<u64>(),
            (ERROR_ROWS + 250) as u64,
            "no error is lost"
        );
        let a = others.iter().find(|r| r.timer == "a").unwrap();
        assert_eq!(a.first_s, ERROR_ROWS as f64);
        assert!(a.message.is_empty());
        // A known row still counts after the cap.
        t.add("a", "status", 500, "id 0", 9999.0);
        let r = t.rows().into_iter().find(|r| r.message == "id 0").unwrap();
        assert_eq!((r.count, r.last_s), (2, 9999.0));
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let mut t = ErrorTable::default();
        let long = "é".repeat(ERROR_MESSAGE_MAX);
        t.add("a", "script", 0, &long, 0.0);
        t.add("a", "script", 0, &format!("{long}tail"), 1.0);
        let rows = t.rows();
        assert_eq!(rows.len(), 1, "the same start is the same row");
        assert!(rows[0].message.len() <= ERROR_MESSAGE_MAX + "…".len());
        assert!(rows[0].message.ends_with('…'));
        assert_eq!(rows[0].count, 2);
    }
}
