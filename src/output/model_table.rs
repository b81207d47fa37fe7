//! `pace model`'s tables, drawn from the same JSON object `--json` prints,
//! so the two can never disagree.

use crate::units::{human_duration as h, round_sig};
use comfy_table::Cell;
use serde_json::Value;

use super::table;

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// Five significant digits: Jain's tables print three decimals of values
/// around 1-100, which five digits keep.
fn r(v: f64) -> String {
    super::sig(v, 5)
}

/// A rate per second, with its per-minute value when that reads better.
fn rate(per_s: f64) -> String {
    if per_s < 1.0 {
        format!("{} /s = {} /min", r(per_s), r(per_s * 60.0))
    } else {
        format!("{} /s", r(per_s))
    }
}

/// The model summary (centres, N*, bottleneck) and the sweep over users.
pub fn sweep_tables(doc: &Value, width: Option<u16>) -> String {
    let mut s = table(width, vec!["", "value", "how"]);
    let empty = Vec::new();
    let centres = doc["centres"].as_array().unwrap_or(&empty);
    let bottleneck = doc["bottleneck"].as_str().unwrap_or("");
    for c in centres {
        let name = c["name"].as_str().unwrap_or("");
        let kind = c["kind"].as_str().unwrap_or("");
        let mark = if name == bottleneck {
            ", the bottleneck"
        } else {
            ""
        };
        s.add_row(vec![
            Cell::new(format!("centre {name}")),
            Cell::new(h(f(c, "demand_s"))),
            Cell::new(format!(
                "{kind} centre, demand D = V x S (or U/X) per job{mark}"
            )),
        ]);
    }
    let rows: [(&str, String, String); 4] = [
        (
            "think time Z",
            h(f(doc, "think_s")),
            "delay centres add to it in the bounds".into(),
        ),
        (
            "total demand D",
            h(f(doc, "total_demand_s")),
            "sum of the queueing centres' demands (R with one user: + delays)".into(),
        ),
        (
            "max throughput",
            rate(f(doc, "max_throughput_per_s")),
            format!(
                "1 / D_max = 1 / {} ({bottleneck})",
                h(f(doc, "max_demand_s"))
            ),
        ),
        (
            "knee N*",
            r(f(doc, "n_star")),
            "(D + delays + Z) / D_max: above it the bottleneck saturates".into(),
        ),
    ];
    for (a, b, c) in rows {
        s.add_row(vec![Cell::new(a), Cell::new(b), Cell::new(c)]);
    }

    let mut t = table(
        width,
        vec![
            "N",
            "X (/s)",
            "R (s)",
            "by",
            "X ≤ (asymptotic)",
            "X balanced (low-high)",
            "R ≥ (asymptotic)",
            "R balanced (low-high)",
            &format!("U {bottleneck}"),
        ],
    );
    let b_index = centres
        .iter()
        .position(|c| c["name"].as_str() == Some(bottleneck))
        .unwrap_or(0);
    let mut approx_unconverged = false;
    for row in doc["rows"].as_array().unwrap_or(&empty) {
        let a = &row["asymptotic"];
        let b = &row["balanced"];
        let method = row["method"].as_str().unwrap_or("");
        if row["converged"] == Value::Bool(false) {
            approx_unconverged = true;
        }
        t.add_row(vec![
            Cell::new(row["users"].to_string()),
            Cell::new(r(f(row, "throughput_per_s"))),
            Cell::new(r(f(row, "response_s"))),
            Cell::new(method),
            Cell::new(r(f(a, "throughput_upper_per_s"))),
            Cell::new(format!(
                "{}-{}",
                r(f(b, "throughput_lower_per_s")),
                r(f(b, "throughput_upper_per_s"))
            )),
            Cell::new(r(f(a, "response_lower_s"))),
            Cell::new(format!(
                "{}-{}",
                r(f(b, "response_lower_s")),
                r(f(b, "response_upper_s"))
            )),
            Cell::new(format!(
                "{} %",
                round_sig(
                    row["utilizations"][b_index].as_f64().unwrap_or(f64::NAN) * 100.0,
                    4
                )
            )),
        ]);
    }
    let mut out = format!("{s}\n{t}\n");
    out.push_str(&format!(
        "exact MVA up to N = {}, Schweitzer's approximation above (--exact-limit); bounds: asymptotic (QSP ch. 5) and balanced job (Zahorjan et al. 1982)\n",
        doc["exact_limit"]
    ));
    if approx_unconverged {
        out.push_str("warning: Schweitzer's iteration did not converge for some rows: their X and R are approximate\n");
    }
    crate::visible::lines(&out).into_owned()
}

/// The Erlang C answer: one pool's waits, and for a sizing, why one server
/// fewer is not enough.
pub fn erlang_table(doc: &Value, width: Option<u16>) -> String {
    let mut t = table(width, vec!["", "value", "how"]);
    let mut row = |a: &str, b: String, c: String| {
        t.add_row(vec![Cell::new(a), Cell::new(b), Cell::new(c)]);
    };
    let c = doc["servers"].as_u64().unwrap_or(0);
    let q = f(doc, "percentile");
    let pct = round_sig(q * 100.0, 4);
    row("arrival rate λ", rate(f(doc, "rate_per_s")), "given".into());
    row(
        "service time S",
        h(f(doc, "service_s")),
        "given (mean)".into(),
    );
    row(
        "offered load a",
        format!("{} erlangs", r(f(doc, "offered_load"))),
        "λ x S: the servers busy on average".into(),
    );
    let why = if doc["sized"] == Value::Bool(true) {
        let t = &doc["target"];
        let goal = match t["kind"].as_str() {
            Some("wait_probability") => format!("P(wait) ≤ {}", r(f(t, "max"))),
            Some("mean_wait") => format!("mean wait ≤ {}", h(f(t, "max_s"))),
            _ => format!(
                "p{} wait ≤ {}",
                round_sig(f(t, "quantile") * 100.0, 4),
                h(f(t, "max_s"))
            ),
        };
        match &doc["one_fewer"] {
            Value::Object(o) => format!(
                "the smallest pool with {goal}; {} give P(wait) {}, mean wait {}, p{pct} wait {}",
                o["servers"],
                r(o["wait_probability"].as_f64().unwrap_or(f64::NAN)),
                h(o["mean_wait_s"].as_f64().unwrap_or(f64::NAN)),
                h(o["wait_quantile_s"].as_f64().unwrap_or(f64::NAN)),
            ),
            _ => format!(
                "the smallest pool with {goal}; {} would be overloaded",
                c.saturating_sub(1)
            ),
        }
    } else {
        "given".into()
    };
    row("servers c", c.to_string(), why);
    row(
        "utilisation ρ",
        format!("{} %", round_sig(f(doc, "utilization") * 100.0, 5)),
        "a / c".into(),
    );
    row(
        "P(wait)",
        round_sig(f(doc, "wait_probability"), 4),
        "Erlang C(c, a), from the Erlang B recurrence".into(),
    );
    row(
        "mean wait Wq",
        h(f(doc, "mean_wait_s")),
        "C x S / (c - a)".into(),
    );
    row(
        &format!("p{pct} wait"),
        h(f(doc, "wait_quantile_s")),
        "P(Wq > t) = C x e^-(c/S - λ)t".into(),
    );
    row(
        "mean response R",
        h(f(doc, "mean_response_s")),
        "Wq + S".into(),
    );
    row(
        "mean waiting Lq, in system L",
        format!(
            "{}, {}",
            r(f(doc, "mean_queue")),
            r(f(doc, "mean_in_system"))
        ),
        "λ x Wq, λ x R (Little)".into(),
    );
    row(
        "max throughput",
        rate(f(doc, "max_throughput_per_s")),
        "c / S".into(),
    );
    crate::visible::lines(&format!("{t}\n")).into_owned()
}
