//! Streaming search over the log files, oldest first.
//!
//! Lookup reads; it does not verify. Run [`crate::validate`] to know whether
//! what it returns can be trusted.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::record;
use crate::{Error, Event, Result};

/// Filters for [`lookup`]; every field set must match (`None` matches all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Exact `eventName`, e.g. `Decrypt`.
    pub event_name: Option<String>,
    /// Exact `eventSource`, e.g. `kms.amazonaws.com`.
    pub event_source: Option<String>,
    /// Events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Events strictly before this time.
    pub until: Option<OffsetDateTime>,
    /// `userIdentity.userName`, or the session issuer's `userName` for
    /// assumed roles (so a role name finds its sessions).
    pub username: Option<String>,
    /// `userIdentity.arn`, or the session issuer's ARN.
    pub arn: Option<String>,
    /// Stop after this many matches.
    pub limit: Option<usize>,
}

impl Query {
    /// Whether `event` passes every filter (the limit aside).
    #[must_use]
    pub fn matches(&self, event: &Event) -> bool {
        let id = &event.user_identity;
        let issuer = id
            .session_context
            .as_ref()
            .and_then(|c| c.session_issuer.as_ref());
        let eq = |want: &Option<String>, got: &str| want.as_deref().is_none_or(|w| w == got);
        eq(&self.event_name, &event.event_name)
            && eq(&self.event_source, &event.event_source)
            && self.since.is_none_or(|t| event.event_time >= t)
            && self.until.is_none_or(|t| event.event_time < t)
            && self.username.as_deref().is_none_or(|u| {
                id.user_name.as_deref() == Some(u) || issuer.is_some_and(|i| i.user_name == u)
            })
            && self
                .arn
                .as_deref()
                .is_none_or(|a| id.arn.as_deref() == Some(a) || issuer.is_some_and(|i| i.arn == a))
    }
}

/// Iterator returned by [`lookup`]. Yields matching events in seq order; a
/// line that cannot be parsed yields an `Err` and the walk goes on.
#[derive(Debug)]
pub struct Lookup {
    dir: PathBuf,
    files: std::vec::IntoIter<String>,
    current: Option<(String, BufReader<File>, usize)>,
    query: Query,
    returned: usize,
    queued_error: Option<Error>,
    line: Vec<u8>,
}

/// Streams the events in `dir` that match `query`, oldest file first.
/// Digest files are skipped. A partial last line (a live writer mid-flush, or
/// a crash) is skipped silently.
#[must_use]
pub fn lookup(dir: &Path, query: &Query) -> Lookup {
    let (files, queued_error) = match record::list(dir, "events-", record::parse_log_file_name) {
        Ok(l) => (
            l.into_iter()
                .filter(|f| f.seq.is_some())
                .map(|f| f.name)
                .collect::<Vec<_>>(),
            None,
        ),
        Err(e) => (Vec::new(), Some(Error::io(dir, e))),
    };
    Lookup {
        dir: dir.to_path_buf(),
        files: files.into_iter(),
        current: None,
        query: query.clone(),
        returned: 0,
        queued_error,
        line: Vec::with_capacity(4096),
    }
}

impl Iterator for Lookup {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.queued_error.take() {
            return Some(Err(e));
        }
        loop {
            if self.query.limit.is_some_and(|l| self.returned >= l) {
                return None;
            }
            let Some((name, reader, line_no)) = self.current.as_mut() else {
                let name = self.files.next()?;
                let path = self.dir.join(&name);
                match File::open(&path) {
                    Ok(f) => self.current = Some((name, BufReader::new(f), 0)),
                    Err(e) => return Some(Err(Error::io(path, e))),
                }
                continue;
            };
            self.line.clear();
            match reader.read_until(b'\n', &mut self.line) {
                Err(e) => {
                    let path = self.dir.join(name.as_str());
                    self.current = None;
                    return Some(Err(Error::io(path, e)));
                }
                Ok(0) => {
                    self.current = None;
                    continue;
                }
                Ok(_) => {}
            }
            *line_no = line_no.saturating_add(1);
            let Some(line) = self.line.strip_suffix(b"\n") else {
                continue; // partial last line
            };
            let parsed = record::parse_line(line)
                .map_err(|e| Error::Corrupt(format!("{name} line {line_no}: {e}")))
                .and_then(|rec| {
                    serde_json::from_str::<Event>(rec.event_json)
                        .map_err(|e| Error::json(format!("{name} line {line_no}"), e))
                });
            match parsed {
                Ok(event) if self.query.matches(&event) => {
                    self.returned = self.returned.saturating_add(1);
                    return Some(Ok(event));
                }
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
