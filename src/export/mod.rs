//! Exporters: each file of a results folder is written by one exporter,
//! in its own module, from the one [`Results`] model. None reaches back into
//! the runner, so `pace report` rebuilds every file from the raw samples.

pub mod hlog;
pub mod html;
mod jtl;
pub mod jtl_csv;
pub mod jtl_xml;
pub mod junit;
pub mod summary_json;
pub mod xml_chars;

use crate::results::Results;
use std::io::Write;
use std::path::PathBuf;

/// One output format.
pub trait Exporter {
    /// The file it writes in the results folder.
    fn file_name(&self) -> &'static str;
    /// Writes the whole file to `out`.
    fn write(&self, results: &Results, out: &mut dyn Write) -> anyhow::Result<()>;
}

/// Which optional formats to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// JMeter's XML JTL (Pyak47's `xml_report`).
    pub xml: bool,
}

/// The exporters of a results folder, in the order they are written.
pub fn exporters(opts: Options) -> Vec<Box<dyn Exporter>> {
    let mut v: Vec<Box<dyn Exporter>> = vec![
        Box::new(summary_json::SummaryJson),
        Box::new(jtl_csv::JtlCsv),
        Box::new(junit::Junit),
        Box::new(html::HtmlReport),
        Box::new(hlog::Hlog),
    ];
    if opts.xml {
        v.push(Box::new(jtl_xml::JtlXml));
    }
    v
}

/// Writes one exporter's file through a temporary file and a rename, so a
/// reader never sees half a file and a failed export leaves the old one.
/// The temporary name is unique (made with O_EXCL, removed on failure), so
/// two processes rebuilding one folder never write into each other's.
pub fn write_file(e: &dyn Exporter, results: &Results) -> anyhow::Result<PathBuf> {
    let path = results.dir.join(e.file_name());
    let res = (|| {
        let prefix = format!(".{}.", e.file_name());
        let mut b = tempfile::Builder::new();
        b.prefix(&prefix).suffix(".tmp");
        // A report is as readable as any file the user makes (0666 less
        // the umask), not private like a temporary file.
        #[cfg(unix)]
        b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = b.tempfile_in(&results.dir)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp);
        e.write(results, &mut w)?;
        w.flush()?;
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(path.clone())
    })();
    res.map_err(|e: anyhow::Error| e.context(format!("{}", path.display())))
}

/// Writes every file; returns the failures (one line each). One failing
/// format does not stop the others: nothing measured is lost to it.
pub fn write_all(results: &Results, opts: Options) -> Vec<String> {
    exporters(opts)
        .iter()
        .filter_map(|e| write_file(e.as_ref(), results).err())
        .map(|e| format!("{e:#}"))
        .collect()
}
