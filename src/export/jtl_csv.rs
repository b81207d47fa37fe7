//! PLACEHOLDER (being written in this session)

use super::Exporter;
use crate::results::Results;
use std::io::Write;

pub struct JtlCsv;

impl Exporter for JtlCsv {
    fn file_name(&self) -> &'static str {
        "results.jtl"
    }

    fn write(&self, _r: &Results, _out: &mut dyn Write) -> anyhow::Result<()> {
        Ok(())
    }
}
