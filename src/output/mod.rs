//! What people and machines see: tables, JSON, progress.

pub mod capacity;
pub mod model_table;
pub mod plan_json;
pub mod plan_table;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// `v` to `digits` significant digits, or "unbounded" when it is not
/// finite (a rate with no ceiling, a pacing with no user).
pub fn sig(v: f64, digits: i32) -> String {
    if v.is_finite() {
        crate::units::round_sig(v, digits)
    } else {
        "unbounded".into()
    }
}

/// The width a table is bounded to: the terminal's own (None lets
/// comfy-table ask it), or, when stdout is not a terminal, `COLUMNS` if
/// the environment sets it (40 to 1000, the shell's convention for "lay
/// out for this width") and 120 otherwise, so that logs and piped output
/// stay readable.
pub fn stdout_width() -> Option<u16> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|c| (40..=1000).contains(c));
    Some(columns.unwrap_or(120))
}

/// The planner's table style (`pace plan`, `pace capacity`, `pace model`):
/// condensed UTF-8 borders, columns wrapped to `width`.
pub fn table(width: Option<u16>, header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if let Some(w) = width {
        t.set_width(w);
    }
    t
}
