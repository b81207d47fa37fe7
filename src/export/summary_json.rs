//! `summary.json`: the machine-readable whole (shared/spec/plan-format.md).

use super::Exporter;
use crate::results::Results;
use std::io::Write;

pub struct SummaryJson;

impl Exporter for SummaryJson {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn write(&self, r: &Results, out: &mut dyn Write) -> anyhow::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &r.summary)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
