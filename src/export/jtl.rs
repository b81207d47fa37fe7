//! What the two JTL formats (CSV and XML) share: JMeter's thread names,
//! response codes and messages, the URL of a step, and the active-thread
//! counts JMeter writes with every sample.

use crate::plan::vars::expand;
use crate::results::Results;
use crate::results::sample::{Kind, Sample};
use std::collections::HashMap;

/// Labels for one run's samples.
pub struct Label {
    /// Group name -> its 1-based index (JMeter's "Thread Group 1-3").
    groups: HashMap<String, usize>,
    /// (group, step) -> the URL sent, with pace's own variables expanded.
    urls: HashMap<(String, String), String>,
    /// Group name -> the label of its iterations' transaction rows.
    transactions: HashMap<String, String>,
    /// The transactions' own names: every step's, every script group's.
    steps: std::collections::HashSet<String>,
}

impl Label {
    pub fn new(r: &Results) -> Label {
        let vars = &r.summary.meta.vars;
        let lookup = |k: &str| vars.get(k).cloned();
        let mut groups = HashMap::new();
        let mut urls = HashMap::new();
        let mut transactions = HashMap::new();
        let mut steps = std::collections::HashSet::new();
        for (i, g) in r.plan.groups.iter().enumerate() {
            if g.script.is_some() {
                steps.insert(g.name.clone());
            }
            steps.extend(g.steps.iter().map(|s| s.name.clone()));
            groups.insert(g.name.clone(), i + 1);
            // A script's transaction (its step row) already has the group's
            // name, as may a step: the iteration's row takes another, or a
            // reader aggregating by label would mix the two.
            let taken = g.script.is_some() || g.steps.iter().any(|s| s.name == g.name);
            let label = if taken {
                format!("{} iteration", g.name)
            } else {
                g.name.clone()
            };
            transactions.insert(g.name.clone(), label);
            for st in &g.steps {
                // A variable pace did not set (the environment's) stays as
                // written rather than being read back from this machine.
                let url = expand(&st.url, &lookup).unwrap_or_else(|_| st.url.clone());
                urls.insert((g.name.clone(), st.name.clone()), url);
            }
        }
        Label {
            groups,
            urls,
            transactions,
            steps,
        }
    }

    /// The label of a custom timer's rows: its name, or, where a
    /// transaction has that name, `<name> (custom timer)`, as summary.json
    /// and the report call it, so no label mixes the two.
    pub fn timer<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str> {
        if self.steps.contains(name) {
            std::borrow::Cow::Owned(format!("{name} (custom timer)"))
        } else {
            std::borrow::Cow::Borrowed(name)
        }
    }

    /// The group's 1-based index in the plan (0 for a group it lacks).
    pub fn group_index(&self, group: &str) -> usize {
        self.groups.get(group).copied().unwrap_or(0)
    }

    /// The label of the group's transaction (iteration) rows: the group's
    /// name, or `<group> iteration` where a step (a script's transaction)
    /// already has that name.
    pub fn transaction<'a>(&'a self, group: &'a str) -> &'a str {
        self.transactions.get(group).map_or(group, String::as_str)
    }

    /// JMeter's thread name: `<group> <group index>-<user number>`.
    pub fn thread_name(&self, s: &Sample) -> String {
        let gi = self.group_index(&s.group);
        format!("{} {gi}-{}", s.group, u64::from(s.user) + 1)
    }

    pub fn url(&self, group: &str, step: &str) -> &str {
        self.urls
            .get(&(group.to_string(), step.to_string()))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// `responseCode` and `responseMessage`: the HTTP status and its reason
    /// phrase, or JMeter's "Non HTTP response" pair when no response came.
    pub fn response(&self, s: &Sample) -> (String, String) {
        if s.status == 0 {
            let kind = s.error_kind.map(|k| k.name()).unwrap_or("io");
            // No HTTP exchange (a script's transaction): JMeter's
            // non-HTTP samplers say 200 for a success.
            return if s.ok {
                ("200".into(), "OK".into())
            } else {
                (
                    format!("Non HTTP response code: {kind}"),
                    format!("Non HTTP response message: {}", s.error),
                )
            };
        }
        let reason = reqwest::StatusCode::from_u16(s.status)
            .ok()
            .and_then(|c| c.canonical_reason())
            .unwrap_or("");
        (s.status.to_string(), reason.to_string())
    }
}

/// Active users per group and in all, followed through the samples'
/// user-start and user-stop rows.
#[derive(Debug, Default)]
pub struct ThreadCounts {
    groups: HashMap<String, i64>,
    all: i64,
}

impl ThreadCounts {
    pub fn add(&mut self, s: &Sample) {
        let d = match s.kind {
            Kind::UserStart => 1,
            Kind::UserStop => -1,
            _ => return,
        };
        *self.groups.entry(s.group.to_string()).or_default() += d;
        self.all += d;
    }

    /// (this group's, all groups') active users.
    pub fn at(&self, group: &str) -> (i64, i64) {
        (self.groups.get(group).copied().unwrap_or(0), self.all)
    }
}
