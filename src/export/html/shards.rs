//! The Shards section of a merged run's report (`pace merge`): one row per
//! shard (where it ran, how it ended, how its clock and start lay against
//! the others', what it did) and the start skew. Every text is escaped by
//! maud.

use crate::results::summary::Summary;
use crate::units::round_sig;
use maud::{Markup, html};

const COLUMNS: [&str; 11] = [
    "Shard",
    "Host",
    "Status",
    "Folder",
    "t0 shift (s)",
    "Start skew (s)",
    "Ready margin (s)",
    "Users",
    "Iterations",
    "Transactions",
    "Errors",
];

/// The section, or nothing for a run that was not merged.
pub fn section(s: &Summary) -> Markup {
    if s.shards.is_empty() {
        return html! {};
    }
    html! {
        section #shards {
            h2 { "Shards" }
            p.note {
                "This run is the merge of " (s.shards.len()) " shard results folders, judged once over the window every shard covered. "
                "Start skew: " (round_sig(s.start_skew_s.unwrap_or(0.0), 3)) " s between the first and the last shard's first start. "
                "A shard's t0 shift is how far its clock origin lay after the merged one (its samples were moved by it); "
                "its ready margin is how long it was ready before its start (negative: late)."
            }
            div.scroll {
                table.shards {
                    thead { tr { @for c in COLUMNS { th { (c) } } } }
                    tbody {
                        @for r in &s.shards {
                            tr {
                                td { (r.index) }
                                td { (r.host) }
                                td.breach[r.status != "ok"] { (r.status) }
                                td { (r.folder) }
                                td { (round_sig(r.t0_shift_s, 3)) }
                                td { (round_sig(r.start_skew_s, 3)) }
                                td { (round_sig(r.ready_margin_s, 3)) }
                                td { (r.users) }
                                td { (r.iterations) }
                                td { (r.transactions) }
                                td { (r.errors) }
                            }
                        }
                    }
                }
            }
        }
    }
}
