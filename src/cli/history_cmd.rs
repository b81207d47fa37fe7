//! `pace history --db results.db`: the runs stored in a results database,
//! newest first (docs/database.md).

use super::exit;
use crate::store::{self, HistoryRow};
use crate::units::{measured_ms, round_sig};
use crate::verdict::thresholds::share_text;
use clap::Args;
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The results database: a file path or `sqlite:///results.db`.
    #[arg(long, value_name = "DB")]
    db: String,
    /// How many runs to list, newest first (0: all).
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Only the runs of this plan (its name as the table shows it).
    #[arg(long, value_name = "NAME")]
    plan: Option<String>,
    /// Print the rows as a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: HistoryArgs) -> i32 {
    let rows =
        match store::open_existing(&a.db).and_then(|s| s.history_of(a.limit, a.plan.as_deref())) {
            Ok(r) => r,
            Err(e) => {
                // Store errors name the file (or the unsupported scheme).
                errln!("error: {e}");
                return exit::BAD_INPUT;
            }
        };
    if a.json {
        match serde_json::to_string_pretty(&rows) {
            Ok(j) => outln!("{j}"),
            Err(e) => {
                errln!("error: {e}");
                return exit::BAD_INPUT;
            }
        }
        return exit::OK;
    }
    if rows.is_empty() {
        match &a.plan {
            Some(p) => outln!("no runs of plan '{p}' stored in {}", a.db),
            None => outln!("no runs stored in {}", a.db),
        }
        return exit::OK;
    }
    outln!("{}", table(&rows));
    exit::OK
}

fn num(v: f64) -> String {
    round_sig(v, 4)
}

fn table(rows: &[HistoryRow]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "id",
        "when",
        "plan",
        "target TPM",
        "achieved TPM",
        "p95 (ms)",
        "errors",
        "verdict",
    ]);
    for r in rows {
        let errors = if r.all_transactions > 0 {
            format!(
                "{} ({}%)",
                r.errors,
                share_text(r.errors, r.all_transactions, None)
            )
        } else {
            r.errors.to_string()
        };
        let verdict = match r.verdict.as_str() {
            "pass" => "PASS",
            "fail" => "FAIL",
            "no_checks" => "NO CHECKS",
            _ => "INCOMPLETE",
        };
        t.add_row(crate::visible::row([
            r.run_id.to_string(),
            r.started_at.clone(),
            r.plan_name.clone(),
            r.target_tpm.map(num).unwrap_or_else(|| "-".into()),
            num(r.achieved_tpm),
            r.p95.map(measured_ms).unwrap_or_else(|| "-".into()),
            errors,
            verdict.to_string(),
        ]));
    }
    for i in [0, 3, 4, 5, 6] {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}
