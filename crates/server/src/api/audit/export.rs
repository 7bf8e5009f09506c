//! The audit written out for a spreadsheet or another tool: CSV (RFC 4180) or JSON.

use crate::api::{ApiError, Result};
use authdesk_core::clock::from_unix;
use authdesk_store::audit::AuditRow;
use serde::{Deserialize, Serialize};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The columns, in order (the CSV header).
const COLUMNS: [&str; 7] = [
    "id",
    "at_utc",
    "recorded_at_utc",
    "actor",
    "action",
    "target",
    "detail",
];

/// Writes rows one at a time, so an export of any size holds one page in memory.
pub(super) struct Exporter<'w, W: Write> {
    format: ExportFormat,
    out: &'w mut W,
    rows: u64,
}

fn failed(e: std::io::Error) -> ApiError {
    ApiError::Refused(format!("the export could not be written: {e}"))
}

/// A time as `2026-12-02T08:00:00Z`.
fn utc(t: i64) -> String {
    from_unix(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One CSV field: quoted when it holds a separator, a quote or a line break (quotes doubled),
/// and prefixed with `'` when a spreadsheet would read it as a formula (`=`, `+`, `-`, `@`).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl<'w, W: Write> Exporter<'w, W> {
    pub(super) fn start(format: ExportFormat, out: &'w mut W) -> Result<Self> {
        match format {
            ExportFormat::Csv => write!(out, "{}\r\n", COLUMNS.join(",")),
            ExportFormat::Json => write!(out, "["),
        }
        .map_err(failed)?;
        Ok(Exporter {
            format,
            out,
            rows: 0,
        })
    }

    pub(super) fn row(&mut self, r: &AuditRow) -> Result<()> {
        let recorded = r.recorded_at.map(utc).unwrap_or_default();
        match self.format {
            ExportFormat::Csv => {
                let fields = [
                    r.id.to_string(),
                    utc(r.at),
                    recorded,
                    r.actor.clone(),
                    r.action.clone(),
                    r.target.clone(),
                    r.detail.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                write!(self.out, "{}\r\n", line.join(","))
            }
            ExportFormat::Json => {
                // The detail is JSON already: exported as an object, not a string.
                let detail: serde_json::Value = serde_json::from_str(&r.detail)
                    .unwrap_or_else(|_| serde_json::Value::String(r.detail.clone()));
                let v = serde_json::json!({
                    "id": r.id,
                    "at_utc": utc(r.at),
                    "recorded_at_utc": r.recorded_at.map(utc),
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "detail": detail,
                });
                let sep = if self.rows == 0 { "\n" } else { ",\n" };
                write!(self.out, "{sep}  {v}")
            }
        }
        .map_err(failed)?;
        self.rows += 1;
        Ok(())
    }

    pub(super) fn finish(self) -> Result<u64> {
        if self.format == ExportFormat::Json {
            writeln!(self.out, "{}]", if self.rows == 0 { "" } else { "\n" }).map_err(failed)?;
        }
        self.out.flush().map_err(failed)?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, actor: &str, detail: &str, recorded_at: Option<i64>) -> AuditRow {
        AuditRow {
            id,
            at: 1_800_000_000,
            actor: actor.into(),
            action: "grant.revoke".into(),
            target: "g-1".into(),
            detail: detail.into(),
            recorded_at,
        }
    }

    fn export(format: ExportFormat, rows: &[AuditRow]) -> String {
        let mut out = Vec::new();
        let mut e = Exporter::start(format, &mut out).unwrap();
        for r in rows {
            e.row(r).unwrap();
        }
        assert_eq!(e.finish().unwrap(), rows.len() as u64);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let csv = export(
            ExportFormat::Csv,
            &[
                row(
                    2,
                    "console:alice",
                    r#"{"reason":"lost phone, \"urgent\""}"#,
                    Some(1_764_662_400),
                ),
                row(1, "=HYPERLINK(\"x\")", "{}", None),
            ],
        );
        assert_eq!(
            csv,
            "id,at_utc,recorded_at_utc,actor,action,target,detail\r\n\
             2,2027-01-15T08:00:00Z,2025-12-02T08:00:00Z,console:alice,grant.revoke,g-1,\"{\"\"reason\"\":\"\"lost phone, \\\"\"urgent\\\"\"\"\"}\"\r\n\
             1,2027-01-15T08:00:00Z,,\"'=HYPERLINK(\"\"x\"\")\",grant.revoke,g-1,{}\r\n"
        );
    }

    #[test]
    fn json_is_an_array_with_details_as_objects() {
        let json = export(
            ExportFormat::Json,
            &[
                row(2, "cli:bob", r#"{"reason":"moved"}"#, Some(1_764_662_400)),
                row(1, "http", "{}", None),
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0]["detail"]["reason"], "moved");
        assert_eq!(v[0]["recorded_at_utc"], "2025-12-02T08:00:00Z");
        assert_eq!(v[1]["recorded_at_utc"], serde_json::Value::Null);
        assert_eq!(v.as_array().unwrap().len(), 2);
        let empty: serde_json::Value =
            serde_json::from_str(&export(ExportFormat::Json, &[])).unwrap();
        assert_eq!(empty, serde_json::json!([]));
    }
}
