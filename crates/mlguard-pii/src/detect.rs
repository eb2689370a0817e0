//! The detector: one keyword pass, one word pass, overlap resolution.

use regex::{Regex, RegexSet};

use crate::checks;
use crate::context::{Context, Hit, Keywords};
use crate::custom::{CustomIdentifier, CustomIdentifierError};
use crate::lexicon::{self, WordBits};
use crate::names::Names;
use crate::types::{Finding, Label, PiiType, Severity};

/// How a [`Detector`] is built.
#[derive(Clone, Debug)]
pub struct DetectorOptions {
    /// Findings scoring below this are dropped (default 0.5).
    pub min_score: f32,
    /// Custom identifiers, checked along the built-in types.
    pub custom: Vec<CustomIdentifier>,
    /// Characters between a keyword and a candidate for built-in types whose
    /// keywords are context (Macie's default `maximumMatchDistance`, 50).
    pub max_match_distance: usize,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        DetectorOptions {
            min_score: 0.5,
            custom: Vec::new(),
            max_match_distance: 50,
        }
    }
}

struct CompiledCustom {
    def: CustomIdentifier,
    regex: Regex,
    keyword_ids: Vec<usize>,
}

/// A built detector; cheap to share across threads (`&Detector` is `Sync`).
pub struct Detector {
    keywords: Keywords,
    names: Names,
    custom: Vec<CompiledCustom>,
    custom_set: Option<RegexSet>,
    min_score: f32,
    distance: usize,
}

/// The context a column or field name gives every value in it, computed once
/// per column by [`Detector::column`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ColumnContext(u64);

impl Detector {
    /// Builds the keyword automaton, the name sets and the custom identifiers.
    pub fn new(options: DetectorOptions) -> Result<Detector, CustomIdentifierError> {
        for c in &options.custom {
            c.validate()?;
        }
        let extra: Vec<String> = options
            .custom
            .iter()
            .flat_map(|c| c.keywords.iter().cloned())
            .collect();
        let (keywords, ids) = Keywords::new(&extra);
        let mut ids = ids.into_iter();
        let mut custom = Vec::new();
        for def in options.custom {
            let regex = Regex::new(&def.regex).map_err(|e| CustomIdentifierError::Invalid {
                name: def.name.clone(),
                detail: format!("regex does not compile: {e}"),
            })?;
            let keyword_ids = ids.by_ref().take(def.keywords.len()).collect();
            custom.push(CompiledCustom {
                def,
                regex,
                keyword_ids,
            });
        }
        let custom_set = if custom.is_empty() {
            None
        } else {
            Some(
                RegexSet::new(custom.iter().map(|c| c.def.regex.as_str()))
                    .map_err(|e| CustomIdentifierError::Json(format!("custom identifiers: {e}")))?,
            )
        };
        Ok(Detector {
            keywords,
            names: Names::load(),
            custom,
            custom_set,
            min_score: options.min_score,
            distance: options.max_match_distance,
        })
    }

    /// A detector with the defaults and no custom identifiers.
    #[must_use]
    #[expect(
        clippy::expect_used,
        reason = "without custom identifiers only the built-in keyword table is compiled, which the tests build"
    )]
    pub fn with_defaults() -> Detector {
        Detector::new(DetectorOptions::default()).expect("built-in detector")
    }

    /// The custom identifiers, in the order their [`Label::Custom`] indexes.
    pub fn custom(&self) -> impl Iterator<Item = &CustomIdentifier> {
        self.custom.iter().map(|c| &c.def)
    }

    /// The reported name of a label.
    #[must_use]
    pub fn label_name(&self, label: Label) -> &str {
        match label {
            Label::Pii(t) => t.as_str(),
            Label::Custom(i) => self.custom.get(i).map_or("CUSTOM", |c| c.def.name.as_str()),
        }
    }

    /// The severity of one finding of `label`.
    #[must_use]
    pub fn severity(&self, label: Label) -> Severity {
        match label {
            Label::Pii(t) => t.severity(),
            Label::Custom(i) => self
                .custom
                .get(i)
                .map_or(Severity::Medium, |c| c.def.severity()),
        }
    }

    /// The context a column (or JSON field) name gives its values: `ssn`,
    /// `customer_email`, `cardNumber`.
    #[must_use]
    pub fn column(&self, name: &str) -> ColumnContext {
        ColumnContext(self.keywords.column_bits(name))
    }

    /// Every finding in `text`, ordered by start.
    #[must_use]
    pub fn detect(&self, text: &str) -> Vec<Finding> {
        self.detect_in(text, ColumnContext::default())
    }

    /// Every finding in one value of a column whose name gives `column`.
    #[must_use]
    pub fn detect_in(&self, text: &str, column: ColumnContext) -> Vec<Finding> {
        let mut found = Vec::new();
        self.detect_at(text, column, 0, &mut found);
        found
    }

    /// [`Detector::detect_in`], appending the findings to `dest`: a caller
    /// that scans many values (CSV cells) reuses one vector.
    pub fn detect_into(&self, text: &str, column: ColumnContext, dest: &mut Vec<Finding>) {
        self.detect_at(text, column, 0, dest);
    }

    /// [`Detector::detect_in`], appending the findings to `dest` with
    /// `offset` added to their positions.
    fn detect_at(&self, text: &str, column: ColumnContext, offset: usize, dest: &mut Vec<Finding>) {
        // Keyword hits, words, candidates and the overlap buffers are scratch
        // space, kept per thread so a scan of many small values (CSV cells) or
        // of many pieces does not allocate (and zero) them each time.
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.detect_with(text, column, offset, dest, &mut scratch),
            Err(_) => self.detect_with(text, column, offset, dest, &mut Scratch::default()),
        });
    }

    fn detect_with(
        &self,
        text: &str,
        column: ColumnContext,
        offset: usize,
        dest: &mut Vec<Finding>,
        scratch: &mut Scratch,
    ) {
        let Scratch {
            hits,
            index,
            words,
            labels,
            out,
            digits,
            cluster,
            kept,
        } = scratch;
        if self.keywords.starts_with_space() {
            self.keywords.find(text, hits);
            split_words(text, None, words);
        } else {
            hits.clear();
            split_words(text, Some((&self.keywords, &mut *hits)), words);
        }
        let labels_exact = password_labels(text.as_bytes(), hits, labels);
        out.clear();
        crate::context::index_hits(hits, text.len(), index);
        let ctx = Context {
            hits,
            index,
            column: column.0,
        };
        let mut scan = Scan {
            d: self,
            text,
            bytes: text.as_bytes(),
            words,
            ctx: &ctx,
            out,
            label_cursor: 0,
            labels: if labels_exact { Some(labels) } else { None },
            labels_next: 0,
            labels_window: (0, 0),
            keyed_cursor: 0,
            digits,
        };
        scan.run();
        if column.0 != 0 {
            scan.whole_value(column.0);
        }
        self.custom_findings(text, hits, out);
        if !out.is_empty() {
            out.retain(|f| f.score >= self.min_score);
            resolve_overlaps(out, cluster, kept, offset, dest);
        }
    }

    /// [`Detector::detect`] over a large text on `threads` threads (0: every
    /// core): the text is cut at line ends into pieces of at least `piece`
    /// bytes, each detected on its own. A keyword on one piece does not reach a
    /// value on the next.
    #[must_use]
    pub fn detect_parallel(&self, text: &str, piece: usize, threads: usize) -> Vec<Finding> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let pieces = split_lines(text, piece.max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        // Each worker appends to one vector and remembers which range each
        // piece took; pieces come in order, so one worker's vector is the answer.
        let work = || {
            let mut found = Vec::new();
            let mut ranges = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(start, end)) = pieces.get(i) else {
                    break;
                };
                let part = text.get(start..end).unwrap_or_default();
                let from = found.len();
                self.detect_at(part, ColumnContext::default(), start, &mut found);
                if ranges.is_empty() && found.len() > from {
                    // Room for the rest at the first piece's density, so the
                    // vector is not copied as it grows.
                    let estimate = (found.len() - from) * (text.len() / part.len().max(1) + 1);
                    found.reserve(estimate.saturating_sub(found.len()) / threads.max(1));
                }
                ranges.push((i, from, found.len()));
            }
            (found, ranges)
        };
        if threads <= 1 || pieces.len() <= 1 {
            return work().0;
        }
        let parts: Vec<WorkerFindings> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads.min(pieces.len()))
                .map(|_| s.spawn(work))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect()
        });
        let mut order: Vec<(usize, usize, usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(w, (_, ranges))| ranges.iter().map(move |&(i, a, b)| (i, w, a, b)))
            .collect();
        order.sort_unstable_by_key(|&(i, ..)| i);
        let mut out = Vec::with_capacity(parts.iter().map(|(f, _)| f.len()).sum());
        for (_, w, a, b) in order {
            if let Some(f) = parts.get(w).and_then(|(f, _)| f.get(a..b)) {
                out.extend_from_slice(f);
            }
        }
        out
    }

    fn custom_findings(&self, text: &str, hits: &[Hit], out: &mut Vec<Finding>) {
        let Some(set) = &self.custom_set else { return };
        for index in set.matches(text).iter() {
            let Some(c) = self.custom.get(index) else {
                continue;
            };
            for m in c.regex.find_iter(text) {
                if m.is_empty()
                    || c.def
                        .ignore_words
                        .iter()
                        .any(|w| m.as_str().contains(w.as_str()))
                {
                    continue;
                }
                if !c.keyword_ids.is_empty() {
                    // Macie: a complete keyword precedes the match and at most
                    // maximumMatchDistance characters separate its end from the
                    // match's end.
                    // Hits are ordered by end: only those ending before the match
                    // and within the distance (in bytes, at most 4 per character).
                    let lo = m.end().saturating_sub(c.def.maximum_match_distance * 4 + 4);
                    let first = hits.partition_point(|h| h.end < lo);
                    let ok = hits
                        .get(first..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|h| h.end <= m.start())
                        .any(|h| {
                            c.keyword_ids.contains(&h.id)
                                && h.end <= m.start()
                                && text.get(h.end..m.end()).is_some_and(|between| {
                                    between.chars().count() <= c.def.maximum_match_distance
                                })
                        });
                    if !ok {
                        continue;
                    }
                }
                out.push(Finding {
                    label: Label::Custom(index),
                    score: 1.0,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    }
}

/// Pieces of `text` of at least `piece` bytes, cut after a newline.
fn split_lines(text: &str, piece: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let target = start.saturating_add(piece);
        if target >= bytes.len() {
            out.push((start, bytes.len()));
            break;
        }
        let cut = bytes
            .get(target..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(bytes.len(), |p| target + p + 1);
        out.push((start, cut));
        start = cut;
    }
    out
}

/// One worker's findings, and each of its pieces' range in them: (piece, from, to).
type WorkerFindings = (Vec<Finding>, Vec<(usize, usize, usize)>);

/// Keeps the best of overlapping findings: higher score, then longer. Works
/// cluster by cluster (runs of findings that overlap transitively), so the
/// cost stays O(n log n) on texts with many findings. Empties `found`;
/// appends the kept findings, moved by `offset`, to `dest`. `cluster` and
/// `kept` are scratch.
fn resolve_overlaps(
    found: &mut Vec<Finding>,
    cluster: &mut Vec<Finding>,
    kept: &mut Vec<Finding>,
    offset: usize,
    dest: &mut Vec<Finding>,
) {
    found.sort_by_key(|f| (f.start, f.end));
    // Clusters of findings that overlap one after another; a finding alone
    // (most) goes straight through.
    let mut k = 0;
    while let Some(&first) = found.get(k) {
        let mut end = first.end;
        let mut j = k + 1;
        while let Some(f) = found.get(j).filter(|f| f.start < end) {
            end = end.max(f.end);
            j += 1;
        }
        if j == k + 1 {
            dest.push(moved(first, offset));
        } else {
            cluster.clear();
            cluster.extend_from_slice(found.get(k..j).unwrap_or_default());
            settle(cluster, kept, offset, dest);
        }
        k = j;
    }
    found.clear();
}

fn moved(mut f: Finding, offset: usize) -> Finding {
    f.start += offset;
    f.end += offset;
    f
}

/// Greedy choice inside one cluster of overlapping findings (emptied).
fn settle(
    cluster: &mut Vec<Finding>,
    kept: &mut Vec<Finding>,
    offset: usize,
    dest: &mut Vec<Finding>,
) {
    cluster.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    kept.clear();
    for f in cluster.drain(..) {
        if kept.iter().all(|k| k.end <= f.start || f.end <= k.start) {
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| f.start);
    dest.extend(kept.drain(..).map(|f| moved(f, offset)));
}

/// A whitespace-separated word: `[start, end)` as written and its core (the
/// word without surrounding brackets, quotes and trailing punctuation).
#[derive(Clone, Copy, Debug)]
struct Word {
    start: usize,
    end: usize,
    cs: usize,
    ce: usize,
    /// The kinds of bytes in the core (`shape::*` bits).
    shape: u16,
    /// The word tables listing the core ([`lexicon`] bits).
    lex: u16,
    /// [`name_like`] of the core.
    name_like: bool,
    /// The word as written ends with `:` (a speaker's name, a label).
    colon: bool,
    /// No detector starts at this word ([`Scan::word`] would only try the
    /// password/username value after a label and the speaker before a
    /// `:`-word, which [`Scan::run`] checks itself): lowercase letters with
    /// nothing trimmed before them, shorter than any credential, not a
    /// month, a unit or the `p` of a P.O. box.
    plain: bool,
}

/// Kinds of bytes in a word's core, collected once per word so the detectors
/// can skip words that cannot be theirs without looking at the bytes again;
/// and the byte classes the word splitter needs.
mod shape {
    pub(super) const DIGIT: u16 = 1 << 0;
    pub(super) const UPPER: u16 = 1 << 1;
    pub(super) const LOWER: u16 = 1 << 2;
    pub(super) const AT: u16 = 1 << 3;
    pub(super) const COLON: u16 = 1 << 4;
    pub(super) const DOT: u16 = 1 << 5;
    pub(super) const DASH: u16 = 1 << 6;
    pub(super) const SLASH: u16 = 1 << 7;
    /// `#` and `'`, which word tables hold (`#`, `owner's`).
    pub(super) const HASH_QUOTE: u16 = 1 << 8;
    /// Bytes of non-ASCII characters.
    pub(super) const HIGH: u16 = 1 << 9;
    /// Any other byte.
    pub(super) const OTHER: u16 = 1 << 10;
    /// The shape bits of a byte.
    pub(super) const KINDS: u16 = (1 << 11) - 1;

    /// ASCII whitespace ([`u8::is_ascii_whitespace`]): words end there.
    pub(super) const SPACE: u16 = 1 << 11;
    /// `;`, `|`, `&` and `,`: field separators.
    pub(super) const FIELD: u16 = 1 << 12;
    /// `:` and `=`, which end a `label:` or `key=` prefix.
    pub(super) const LABEL: u16 = 1 << 15;
    /// Trimmed from a core's start: brackets and quotes.
    pub(super) const OPEN: u16 = 1 << 13;
    /// Trimmed from a core's end: brackets, quotes and punctuation.
    pub(super) const CLOSE: u16 = 1 << 14;

    const fn class(c: u8) -> u16 {
        let kind = match c {
            b'0'..=b'9' => DIGIT,
            b'A'..=b'Z' => UPPER,
            b'a'..=b'z' => LOWER,
            b'@' => AT,
            b':' => COLON,
            b'.' => DOT,
            b'-' => DASH,
            b'/' => SLASH,
            b'#' | b'\'' => HASH_QUOTE,
            0x80.. => HIGH,
            _ => OTHER,
        };
        let space = if c.is_ascii_whitespace() { SPACE } else { 0 };
        let splits = match c {
            b';' | b'|' | b'&' | b',' => FIELD,
            b':' | b'=' => LABEL,
            _ => 0,
        };
        let open = match c {
            b'(' | b'[' | b'{' | b'<' | b'"' | b'\'' | b'`' => OPEN,
            _ => 0,
        };
        let close = match c {
            b')' | b']' | b'}' | b'>' | b'"' | b'\'' | b'`' | b',' | b'.' | b';' | b':' | b'!'
            | b'?' => CLOSE,
            _ => 0,
        };
        kind | space | splits | open | close
    }

    static CLASSES: [u16; 256] = {
        let mut t = [0; 256];
        let mut c = 0;
        while c < 256 {
            #[expect(clippy::cast_possible_truncation, reason = "c < 256")]
            let b = c as u8;
            #[expect(clippy::indexing_slicing, reason = "c < 256, the table's length")]
            {
                t[c] = class(b);
            }
            c += 1;
        }
        t
    };

    /// The classes of byte `c`.
    pub(super) fn of(c: u8) -> u16 {
        CLASSES.get(usize::from(c)).copied().unwrap_or(0)
    }
}

/// Buffers one detection needs, kept per thread between detections.
#[derive(Default)]
struct Scratch {
    hits: Vec<Hit>,
    index: Vec<u32>,
    words: Vec<Word>,
    labels: Vec<(usize, usize)>,
    out: Vec<Finding>,
    digits: Digits,
    cluster: Vec<Finding>,
    kept: Vec<Finding>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Splits at ASCII whitespace; also splits `label:value` and `key=value` so
/// the value is a word of its own (`SSN:536-22-8451`, `password=x`). With
/// `keywords`, also finds the keywords ([`Keywords::find`]) run by run, which
/// spares a second pass over the bytes (no keyword starts with whitespace).
fn split_words(
    text: &str,
    mut keywords: Option<(&Keywords, &mut Vec<Hit>)>,
    words: &mut Vec<Word>,
) {
    use shape::{DIGIT, KINDS, LOWER, UPPER};
    let bytes = text.as_bytes();
    let tables = lexicon::tables();
    words.clear();
    // Built-in keywords only: the word tables tell which words start one.
    let builtin_only = keywords.as_ref().is_some_and(|(k, _)| k.builtin_only());
    let mut skip = 0;
    let mut i = 0;
    let n = bytes.len();
    loop {
        while bytes
            .get(i)
            .is_some_and(|&c| shape::of(c) & shape::SPACE != 0)
        {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        let mut seen = 0;
        // The classes of the run's bytes but its last.
        let mut inner = 0;
        for &c in bytes.get(start..).unwrap_or_default() {
            let class = shape::of(c);
            if class & shape::SPACE != 0 {
                break;
            }
            inner = seen;
            seen |= class;
            i += 1;
        }
        // Where keywords may start in the run: at `from` alone (`only_from`),
        // or after any byte from `from` on that is not a letter or digit.
        let mut from = start;
        let mut only_from = seen & KINDS & !(DIGIT | UPPER | LOWER) == 0;
        let mut keyword_free = false;
        if seen & shape::LABEL == 0 && inner & shape::FIELD == 0 {
            // No separator but maybe a last one (which does not split) and no
            // `label:`/`key=`: the run is one word.
            let w = word(tables, text, start, i, seen);
            if builtin_only && w.shape & !(UPPER | LOWER | DIGIT) == 0 {
                // A built-in keyword starts with a letter or digit after a
                // byte that is neither: in a word whose core is letters and
                // digits (brackets and punctuation around it), only at the
                // core's start. A core of letters starts one only when the
                // word tables list it as a keyword's first letters.
                from = w.cs;
                only_from = true;
                keyword_free = w.shape & DIGIT == 0
                    && w.ce - w.cs <= lexicon::MAX_LEN
                    && w.lex & lexicon::KEYWORD_START == 0;
            }
            words.push(w);
        } else {
            split_fields(tables, text, start, i, seen, words);
        }
        if let Some((k, hits)) = &mut keywords
            && !keyword_free
        {
            k.find_in_run(bytes, from, i, only_from, &mut skip, hits);
        }
    }
}

/// Splits a whitespace-free run at field separators inside it: CSV rows
/// (`205,Tonya Meyer,tonya@x.com`), query strings (`a=1&exp=09/27`), pipes and
/// semicolons. A separator ending the run stays (trimmed from the core), commas
/// between digits (`1,234`) and anything inside a URL do not split.
/// `seen` has the classes of the run's bytes.
fn split_fields(
    tables: &WordBits,
    text: &str,
    start: usize,
    end: usize,
    seen: u16,
    words: &mut Vec<Word>,
) {
    let bytes = text.as_bytes();
    let run = bytes.get(start..end).unwrap_or_default();
    if seen & shape::FIELD == 0 || (seen & shape::COLON != 0 && run.windows(3).any(|w| w == b"://"))
    {
        push_split(tables, text, start, end, seen, words);
        return;
    }
    let mut from = start;
    // The classes of the piece's bytes so far.
    let mut piece = 0;
    for k in start..end.saturating_sub(1) {
        let Some(&c) = bytes.get(k) else { break };
        let splits = match c {
            b';' | b'|' | b'&' => true,
            b',' => !thousands_separator(bytes, start, k),
            _ => false,
        };
        if splits {
            if k > from {
                push_split(tables, text, from, k, piece, words);
            }
            from = k + 1;
            piece = 0;
        } else {
            piece |= shape::of(c);
        }
    }
    if end > from {
        let last = bytes.get(end - 1).map_or(0, |&c| shape::of(c));
        push_split(tables, text, from, end, piece | last, words);
    }
}

/// Whether the comma at `k` separates thousands (`1,234`, `12,345.67`): one to
/// three digits before it, exactly three after, then no further digit or letter.
fn thousands_separator(bytes: &[u8], start: usize, k: usize) -> bool {
    let before = bytes
        .get(start..k)
        .unwrap_or_default()
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let after = bytes
        .get(k + 1..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let next = bytes.get(k + 1 + after);
    // What precedes the first group: the run's start or a currency sign, not
    // `:` (`9D:63,146`) or a letter.
    let lead = (k - before)
        .checked_sub(1)
        .and_then(|p| bytes.get(p))
        .filter(|_| k - before > start);
    (1..=3).contains(&before)
        && after == 3
        && !next.is_some_and(u8::is_ascii_alphanumeric)
        && !lead.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'.'))
}

/// Pushes the word `start..end` (classes `seen`), or its `label:`/`key=`
/// prefix and the value as two words.
fn push_split(
    tables: &WordBits,
    text: &str,
    start: usize,
    end: usize,
    seen: u16,
    words: &mut Vec<Word>,
) {
    if seen & shape::LABEL == 0 {
        // No `:` or `=` to split at.
        words.push(word(tables, text, start, end, seen));
        return;
    }
    let bytes = text.as_bytes();
    // Find a `label:` or `key=` prefix made of letters (and `_`), the label
    // containing a non-hex letter so `dead:beef::1` stays whole.
    let mut j = start;
    while j < end
        && bytes.get(j).is_some_and(|b| {
            b.is_ascii_alphabetic()
                || *b == b'_'
                || (j > start && (b.is_ascii_digit() || *b == b'-'))
        })
    {
        j += 1;
    }
    let sep = bytes.get(j).copied();
    let label = bytes.get(start..j).unwrap_or_default();
    let splits = j > start
        && j + 1 < end
        && match sep {
            Some(b'=') => true,
            Some(b':') => {
                bytes.get(j + 1) != Some(&b'/')
                    && label
                        .iter()
                        .any(|b| b.is_ascii_alphabetic() && !b.is_ascii_hexdigit())
            }
            _ => false,
        };
    if splits {
        words.push(word(tables, text, start, j + 1, 0));
        words.push(word(tables, text, j + 1, end, 0));
    } else {
        words.push(word(tables, text, start, end, seen));
    }
}

/// `seen`, when not 0, has the classes of every byte of `start..end`.
#[inline(always)]
fn word(tables: &WordBits, text: &str, start: usize, end: usize, seen: u16) -> Word {
    let bytes = text.as_bytes();
    let mut cs = start;
    let mut ce = end;
    // (A run's classes tell when there is nothing to trim.)
    while (seen == 0 || seen & shape::OPEN != 0)
        && cs < ce
        && bytes
            .get(cs)
            .is_some_and(|&b| shape::of(b) & shape::OPEN != 0)
    {
        cs += 1;
    }
    while (seen == 0 || seen & shape::CLOSE != 0)
        && ce > cs
        && bytes
            .get(ce - 1)
            .is_some_and(|&b| shape::of(b) & shape::CLOSE != 0)
    {
        ce -= 1;
    }
    let core = bytes.get(cs..ce).unwrap_or_default();
    // Nothing trimmed: the run's classes are the core's.
    let shape = if seen != 0 && cs == start && ce == end {
        seen & shape::KINDS
    } else {
        core.iter().fold(0, |acc, &c| acc | shape::of(c)) & shape::KINDS
    };
    // Word tables hold letters, `.`, `#` and `'` only.
    let lex = if shape & !(shape::UPPER | shape::LOWER | shape::DOT | shape::HASH_QUOTE) == 0 {
        tables.get_in(bytes, cs, core.len())
    } else {
        0
    };
    // Only a capital (or a non-ASCII letter) starts a name.
    let name_like = matches!(core.first(), Some(b'A'..=b'Z' | 0x80..))
        && name_like(text.get(cs..ce).unwrap_or_default(), shape, lex);
    let colon = end > start && bytes.get(end - 1) == Some(&b':');
    let plain = shape == shape::LOWER
        && cs == start
        && !colon
        && core.len() < 24
        && core.first() != Some(&b'p')
        && lex & (lexicon::MONTH | lexicon::UNIT | lexicon::UNIT_EXTRA) == 0;
    Word {
        start,
        end,
        cs,
        ce,
        shape,
        lex,
        name_like,
        colon,
        plain,
    }
}

/// A capitalized word that can be part of a name: `Maria`, `O'Neil`,
/// `Smith-Jones`, `McDonald`, `Amélie`, `MARIA` (five letters or more when
/// all capitals, so `GP`, `USD` and `SDK` are not). `shape` and `lex` are the
/// core's.
fn name_like(core: &str, shape: u16, lex: u16) -> bool {
    if lex & lexicon::STREET_SUFFIX != 0 {
        return false;
    }
    if shape & shape::HIGH == 0 {
        // ASCII: the same rules on bytes. Each needs letters, `'` and `-` only.
        if shape & !(shape::UPPER | shape::LOWER | shape::HASH_QUOTE | shape::DASH) != 0 {
            return false;
        }
        let b = core.as_bytes();
        let Some((first, rest)) = b.split_first() else {
            return false;
        };
        let n = rest.len();
        // With letters, `'` and `-` only: the rest is lowercase (and `'-`)
        // when it has no capital, all capitals when the shape is capitals.
        return first.is_ascii_uppercase()
            && (1..=20).contains(&n)
            && (!rest.iter().any(u8::is_ascii_uppercase)
                || (n >= 4 && shape == shape::UPPER)
                || is_mc(b));
    }
    let mut chars = core.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest = chars.as_str();
    let n = rest.chars().count();
    first.is_uppercase()
        && (1..=20).contains(&n)
        && (rest
            .chars()
            .all(|c| c.is_lowercase() || c == '\'' || c == '-' || c == '\u{2019}')
            || (n >= 4 && rest.chars().all(|c| c.is_ascii_uppercase()))
            || is_mc(core.as_bytes()))
}

fn is_us_state(word: &str) -> bool {
    matches!(
        word,
        "AL" | "AK"
            | "AZ"
            | "AR"
            | "CA"
            | "CO"
            | "CT"
            | "DE"
            | "FL"
            | "GA"
            | "HI"
            | "ID"
            | "IL"
            | "IN"
            | "IA"
            | "KS"
            | "KY"
            | "LA"
            | "ME"
            | "MD"
            | "MA"
            | "MI"
            | "MN"
            | "MS"
            | "MO"
            | "MT"
            | "NE"
            | "NV"
            | "NH"
            | "NJ"
            | "NM"
            | "NY"
            | "NC"
            | "ND"
            | "OH"
            | "OK"
            | "OR"
            | "PA"
            | "RI"
            | "SC"
            | "SD"
            | "TN"
            | "TX"
            | "UT"
            | "VT"
            | "VA"
            | "WA"
            | "WV"
            | "WI"
            | "WY"
            | "DC"
            | "PR"
            | "GU"
            | "VI"
            | "AS"
            | "MP"
            | "AA"
            | "AE"
            | "AP"
    )
}

const API_TOKEN_PREFIXES: &[(&str, usize)] = &[
    ("ghp_", 40),
    ("gho_", 40),
    ("ghu_", 40),
    ("ghs_", 40),
    ("ghr_", 40),
    ("github_pat_", 50),
    ("glpat-", 26),
    ("xoxb-", 30),
    ("xoxp-", 30),
    ("xoxa-", 30),
    ("xoxs-", 30),
    ("xapp-", 30),
    ("sk_live_", 24),
    ("rk_live_", 24),
    ("sk_test_", 24),
    ("sk-proj-", 40),
    ("hf_", 34),
    ("npm_", 40),
    ("pypi-", 60),
    ("AIza", 39),
    ("SG.", 60),
];

/// Types whose values are found only through their keywords, as groups.
const KEYED_TYPES: &[PiiType] = &[
    PiiType::LicensePlate,
    PiiType::DriverId,
    PiiType::PassportNumber,
    PiiType::InNrega,
];

/// The state of one detection over one text.
struct Scan<'a> {
    d: &'a Detector,
    text: &'a str,
    bytes: &'a [u8],
    words: &'a [Word],
    ctx: &'a Context<'a>,
    out: &'a mut Vec<Finding>,
    label_cursor: usize,
    /// [`password_labels`], when exact.
    labels: Option<&'a [(usize, usize)]>,
    labels_next: usize,
    /// [`Scan::may_follow_label`] is false for a start in this range.
    labels_window: (usize, usize),
    keyed_cursor: usize,
    /// Scratch for [`digit_shape`], kept across numbers.
    digits: &'a mut Digits,
}

/// Bytes [`Scan::label_before`] passes between a label and its value.
fn label_gap(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b':' | b'=' | b'#' | b'"' | b'\'' | b'-')
}

/// The password and username keywords of `hits` as (end, reach): `reach` is
/// the first byte at or after the end that is not a [`label_gap`] byte, so
/// such a keyword is right before a word starting at `s` exactly when
/// `end <= s <= reach`. Returns false when that is not exact (a keyword
/// ending in a gap byte, which only custom keywords could), and then the
/// list is not to be used.
fn password_labels(bytes: &[u8], hits: &[Hit], labels: &mut Vec<(usize, usize)>) -> bool {
    let bits = PiiType::Password.bit() | PiiType::Username.bit();
    labels.clear();
    for h in hits.iter().filter(|h| h.types & bits != 0) {
        if h.end
            .checked_sub(1)
            .and_then(|p| bytes.get(p))
            .is_none_or(|&b| label_gap(b))
        {
            return false;
        }
        let gap = bytes
            .get(h.end..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| label_gap(b))
            .count();
        labels.push((h.end, h.end + gap));
    }
    true
}

/// Separator shape of a run of digit groups.
#[derive(Default)]
struct Digits {
    /// The digits alone.
    digits: Vec<u8>,
    /// Lengths of the digit groups.
    groups: Vec<usize>,
    /// Separators seen between groups (`-`, `.`, ` `, `/`, `(`…).
    seps: Vec<u8>,
    plus: bool,
    paren: bool,
}

impl<'a> Scan<'a> {
    fn push(&mut self, t: PiiType, start: usize, end: usize, score: f32) {
        if end > start {
            self.out.push(Finding {
                label: Label::Pii(t),
                score: score.clamp(0.0, 1.0),
                start,
                end,
            });
        }
    }

    /// Type bits of the keywords that end right before `start` (only spaces,
    /// `:`, `=`, `#`, quotes or `-` between): "password: hunter2". Words are
    /// asked in order, so a cursor walks the hits once per text.
    fn label_before(&mut self, start: usize) -> (u64, usize) {
        let mut i = start;
        while i > 0 && self.bytes.get(i - 1).is_some_and(|&b| label_gap(b)) {
            i -= 1;
        }
        let hits = self.ctx.hits;
        if self
            .label_cursor
            .checked_sub(1)
            .and_then(|p| hits.get(p))
            .is_some_and(|h| h.end >= i)
        {
            // Out of order (a multi-word lookahead): search.
            self.label_cursor = self.ctx.first_ending_from(i);
        }
        while hits.get(self.label_cursor).is_some_and(|h| h.end < i) {
            self.label_cursor += 1;
        }
        hits.get(self.label_cursor..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.end == i)
            .fold((self.ctx.column, 0), |(bits, longest), h| {
                (bits | h.types, longest.max(h.end - h.start))
            })
    }

    /// Whether a password or username keyword (or the column's name) may be
    /// right before a word starting at `start`; false means
    /// [`Scan::label_before`] would give neither type. Words are asked in
    /// order, so a cursor walks the keywords once per text.
    fn may_follow_label(&mut self, start: usize) -> bool {
        // The next label ends after `start`, which is not before the place
        // the cursor was last set for: nothing to walk (most words).
        let (from, end) = self.labels_window;
        if (from..end).contains(&start) {
            return false;
        }
        let bits = PiiType::Password.bit() | PiiType::Username.bit();
        let Some(labels) = self.labels else {
            return true;
        };
        if self.ctx.column & bits != 0 {
            return true;
        }
        if self
            .labels_next
            .checked_sub(1)
            .and_then(|p| labels.get(p))
            .is_some_and(|&(_, reach)| reach >= start)
        {
            self.labels_next = labels.partition_point(|&(_, reach)| reach < start);
        }
        while labels
            .get(self.labels_next)
            .is_some_and(|&(_, reach)| reach < start)
        {
            self.labels_next += 1;
        }
        // Labels before the cursor reach no word from `start` on; the one at
        // it and those after end at or after its end.
        let next_end = labels
            .get(self.labels_next)
            .map_or(usize::MAX, |&(end, _)| end);
        self.labels_window = (start, next_end);
        next_end <= start
    }

    /// Whether a name keyword ends right before the word, on its line:
    /// `Name: `, `Dear `.
    fn after_name_label(&mut self, w: Word) -> bool {
        self.label_before(w.start).0 & PiiType::Name.bit() != 0
    }

    /// Whether the word's core is a listed first name.
    fn first_name(&self, w: Word) -> bool {
        self.d.names.is_first_in(self.bytes, w.cs, w.ce - w.cs)
    }

    /// Whether the word's core is a listed surname.
    fn last_name(&self, w: Word) -> bool {
        self.d.names.is_last_in(self.bytes, w.cs, w.ce - w.cs)
    }

    fn core(&self, w: Word) -> &'a str {
        self.text.get(w.cs..w.ce).unwrap_or_default()
    }

    fn core_bytes(&self, w: Word) -> &'a [u8] {
        self.bytes.get(w.cs..w.ce).unwrap_or_default()
    }

    fn near(&self, t: PiiType, start: usize, end: usize) -> bool {
        self.ctx.near(t.bit(), start, end, self.d.distance)
    }

    /// Whether a keyword of `t` ends at most `distance` bytes before `start`
    /// with no digit in between ("CVV 446", "PIN is 4821", not "cvv=019&amount=107").
    fn keyword_close(&self, t: PiiType, start: usize, distance: usize) -> bool {
        let first = self.ctx.first_ending_from(start.saturating_sub(distance));
        self.ctx
            .hits
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.end <= start)
            .any(|h| {
                h.types & t.bit() != 0
                    && !self
                        .bytes
                        .get(h.end..start)
                        .unwrap_or_default()
                        .iter()
                        .any(u8::is_ascii_digit)
            })
            || self.ctx.column & t.bit() != 0
    }

    fn before(&self, t: PiiType, start: usize, distance: usize) -> bool {
        self.ctx.before(t.bit(), start, distance)
    }

    /// Whether exactly one space separates word `i` from word `i + 1`.
    fn single_gap(&self, i: usize) -> bool {
        match (self.words.get(i), self.words.get(i + 1)) {
            (Some(a), Some(b)) => b.start == a.end + 1 && self.bytes.get(a.end) == Some(&b' '),
            _ => false,
        }
    }

    fn run(&mut self) {
        let mut i = 0;
        let mut skip_until = 0;
        while i < self.words.len() {
            let Some(&w) = self.words.get(i) else { break };
            if w.start < skip_until
                || w.ce <= w.cs
                || (w.plain
                    && !self.words.get(i + 1).is_some_and(|n| n.colon)
                    && !self.may_follow_label(w.start))
            {
                i += 1;
                continue;
            }
            let before = self.out.len();
            let consumed = self.word(i);
            if let Some(last) = self
                .out
                .get(before..)
                .and_then(|f| f.iter().map(|f| f.end).max())
            {
                skip_until = skip_until.max(last);
            }
            i += consumed.max(1);
        }
    }

    /// Classifies the word at `i` (and, for grouped identifiers, the words
    /// after it). Returns how many words were consumed when a multi-word
    /// finding must not be re-read, else 1.
    fn word(&mut self, i: usize) -> usize {
        use shape::{COLON, DASH, DIGIT, DOT, LOWER, SLASH, UPPER};
        let Some(&w) = self.words.get(i) else {
            return 1;
        };
        let core = self.core_bytes(w);
        let Some(&first) = core.first() else { return 1 };
        // What each detector needs is checked on the word's shape (the kinds
        // of bytes in it) and its word tables before calling it; the
        // detectors would reject the word anyway, more slowly.
        let sh = w.shape;

        if first == b'-' && core.starts_with(b"-----BEGIN") {
            return self.private_key(i);
        }
        if sh & shape::AT != 0 && self.email(w) {
            return 1;
        }
        let used = self.label_value(i);
        if used > 0 {
            return used;
        }
        // A speaker's name ends with `:`, or is followed by an emoji and `:`.
        if (w.colon || self.words.get(i + 1).is_some_and(|n| n.colon)) && self.speaker(i) {
            return 1;
        }
        // (`mac` and `email` depend on the word alone: they are asked once.)
        if matches!(core.len(), 14 | 17) && self.mac(w) {
            return 1;
        }
        if first.is_ascii_alphanumeric() {
            // Keyed values are groups of capitals, digits, `-` and `/`.
            if sh & !(UPPER | DIGIT | DASH | SLASH) == 0
                && let Some(n) = self.keyed_value(i)
            {
                return n;
            }
            if first.is_ascii_uppercase() && sh & DASH != 0 && self.nrega(w) {
                return 1;
            }
        }
        // Every URL scheme has a `:` or a `.`.
        if sh & (COLON | DOT) != 0 && self.url(w) {
            return 1;
        }
        // Credentials shorter than 24 characters are AWS key ids (20 capitals
        // and digits) or the `Basic`/`Bearer` of an authorization header.
        let credential_shape = core.len() >= 24
            || (core.len() == 20 && sh & !(UPPER | DIGIT) == 0)
            || (first == b'B' && matches!(core.len(), 5 | 6));
        if credential_shape && self.credential(i, w) {
            return 1;
        }
        if first.is_ascii_hexdigit() && sh & COLON != 0 && self.ipv6(w) {
            return 1;
        }
        if first.is_ascii_digit()
            || first == b'+'
            || (w.start < w.cs && self.bytes.get(w.start) == Some(&b'('))
        {
            // An IPv4 address has dots; a date or time a separator or am/pm.
            if sh & DOT != 0 && self.network(w) {
                return 1;
            }
            if sh & (SLASH | DASH | DOT | COLON | UPPER | LOWER) != 0 && self.date_time(i, w) {
                return 1;
            }
            let n = self.numeric(i);
            if n > 0 {
                return n;
            }
            if let Some(n) = self.address(i) {
                return n;
            }
            if self.age(i, w) {
                return 1;
            }
            // Identifiers of letters and digits are capitals and digits only.
            if sh & UPPER != 0
                && sh & !(UPPER | DIGIT) == 0
                && let Some(n) = self.alnum_id(i)
            {
                return n;
            }
            return 1;
        }
        if first.is_ascii_alphabetic() {
            if w.lex & lexicon::MONTH != 0
                && let Some(n) = self.month_date(i)
            {
                return n;
            }
            if (first.is_ascii_uppercase() || sh & DIGIT != 0)
                && sh & !(UPPER | DIGIT) == 0
                && let Some(n) = self.alnum_id(i)
            {
                return n;
            }
            if matches!(first, b'p' | b'P')
                && let Some(n) = self.po_box(i)
            {
                return n;
            }
            if w.lex & (lexicon::UNIT | lexicon::UNIT_EXTRA) != 0
                && let Some(n) = self.unit_address(i)
            {
                return n;
            }
            if first.is_ascii_uppercase()
                && let Some(n) = self.name(i)
            {
                return n;
            }
        }
        1
    }

    // ----- credentials -------------------------------------------------------

    fn private_key(&mut self, i: usize) -> usize {
        let Some(&w) = self.words.get(i) else {
            return 1;
        };
        let rest = self.text.get(w.cs..).unwrap_or_default();
        let head_end = rest.find('\n').unwrap_or(rest.len()).min(80);
        let head = rest.get(..head_end).unwrap_or_default();
        if !head.contains("PRIVATE KEY-----") {
            return 1;
        }
        let Some(end_marker) = rest.find("-----END") else {
            return 1;
        };
        let after = rest.get(end_marker + 8..).unwrap_or_default();
        let Some(close) = after.find("-----") else {
            return 1;
        };
        let end = w.cs + end_marker + 8 + close + 5;
        self.push(PiiType::PrivateKey, w.cs, end, 0.99);
        self.words
            .iter()
            .skip(i)
            .take_while(|x| x.start < end)
            .count()
    }

    fn credential(&mut self, i: usize, w: Word) -> bool {
        let core = self.core(w);
        let b = core.as_bytes();
        // AWS access key ids: AKIA (long-term) and ASIA (temporary) + 16.
        if b.len() == 20
            && (core.starts_with("AKIA") || core.starts_with("ASIA"))
            && b.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            self.push(PiiType::AwsAccessKey, w.cs, w.ce, 0.95);
            return true;
        }
        // AWS secret access keys: 40 base64 characters, mixed case.
        if b.len() == 40
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'/' || *c == b'+')
            && b.iter().any(u8::is_ascii_uppercase)
            && b.iter().any(u8::is_ascii_lowercase)
            && b.iter()
                .any(|c| c.is_ascii_digit() || *c == b'/' || *c == b'+')
        {
            let keyed = self.near(PiiType::AwsSecretKey, w.cs, w.ce)
                || self
                    .out
                    .iter()
                    .rev()
                    .take_while(|f| f.end + 200 >= w.cs)
                    .any(|f| {
                        f.label == Label::Pii(PiiType::AwsAccessKey)
                            && w.cs.saturating_sub(f.end) < 200
                    });
            self.push(
                PiiType::AwsSecretKey,
                w.cs,
                w.ce,
                if keyed { 0.95 } else { 0.6 },
            );
            return true;
        }
        // Every token prefix needs at least 24 characters.
        for (prefix, min_len) in API_TOKEN_PREFIXES.iter().filter(|_| b.len() >= 24) {
            if core.starts_with(prefix)
                && b.len() >= *min_len
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"_-.".contains(c))
            {
                self.push(PiiType::ApiToken, w.cs, w.ce, 0.95);
                return true;
            }
        }
        // JSON Web Tokens: header.payload.signature, base64url, header `{"`.
        if core.starts_with("eyJ") {
            let parts: Vec<&str> = core.split('.').collect();
            if parts.len() == 3
                && parts.iter().all(|p| {
                    p.len() >= 8
                        && p.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
                })
            {
                self.push(PiiType::ApiToken, w.cs, w.ce, 0.9);
                return true;
            }
        }
        // "Authorization: Basic <base64>" / "Bearer <token>".
        if (core == "Basic" || core == "Bearer")
            && let Some(&next) = self.words.get(i + 1)
        {
            let token = self.core_bytes(next);
            if token.len() >= 16
                && token
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"+/=-_.~".contains(c))
                && self
                    .text
                    .get(w.start.saturating_sub(16)..w.start)
                    .is_some_and(|s| s.to_ascii_lowercase().contains("authorization"))
            {
                self.push(PiiType::ApiToken, next.cs, next.ce, 0.9);
                return true;
            }
        }
        false
    }

    // ----- internet ----------------------------------------------------------

    fn email(&mut self, w: Word) -> bool {
        let core = self.core(w);
        let Some((local, domain)) = core.rsplit_once('@') else {
            return false;
        };
        // `mailto:` and `<…>` wrappers are trimmed off the local part's start.
        let mut local = local.rsplit([':', '<', '(']).next().unwrap_or(local);
        if let Some((_, after_scheme)) = core.split_once("://") {
            // In a URL, an `@` before the path separates credentials from the
            // host (`https://user:pass@host/`): no email. One in the path or
            // query (`?email=zoe@example.com`) ends an email whose local part
            // starts after the URL's last separator.
            let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
            if authority.contains('@') {
                return false;
            }
            local = local
                .rsplit(['/', '?', '=', '&', '#'])
                .next()
                .unwrap_or(local);
        }
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c))
            && !local.starts_with('.')
            && !local.ends_with('.');
        if !local_ok || !valid_domain(domain) {
            return false;
        }
        let start = w.ce - domain.len() - 1 - local.len();
        self.push(PiiType::Email, start, w.ce, 0.95);
        true
    }

    fn url(&mut self, w: Word) -> bool {
        let core = self.core(w);
        let lower_prefix = |p: &str| {
            core.get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        };
        let scheme = ["https://", "http://", "ftp://", "sftp://", "s3://", "www."]
            .into_iter()
            .find(|p| lower_prefix(p));
        let Some(scheme) = scheme else { return false };
        let rest = core.get(scheme.len()..).unwrap_or_default();
        let host = rest.split(['/', '?', '#', ':']).next().unwrap_or_default();
        let host_ok = if scheme == "s3://" {
            host.len() >= 3
        } else {
            valid_domain(&host.replace('_', "-"))
                || host.parse::<std::net::Ipv4Addr>().is_ok()
                || host == "localhost"
        };
        if !host_ok {
            return false;
        }
        self.push(PiiType::Url, w.cs, w.ce, 0.9);
        true
    }

    /// IPv4 (optionally with `:port` or `/prefix`), not a version string.
    fn network(&mut self, w: Word) -> bool {
        let core = self.core(w);
        let addr = before_any(core, b"/:");
        if addr.bytes().filter(|&c| c == b'.').count() != 3 {
            return false;
        }
        let octets_ok = addr.as_bytes().split(|&c| c == b'.').all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.iter().all(u8::is_ascii_digit)
                && !(o.len() > 1 && o.first() == Some(&b'0'))
        });
        if !octets_ok || addr.parse::<std::net::Ipv4Addr>().is_err() {
            return false;
        }
        let version = self.bytes.get(w.start.saturating_sub(1)) == Some(&b'v')
            || self.ctx.negative_before(w.cs, 20);
        let score = if version {
            0.3
        } else if self.near(PiiType::IpAddress, w.cs, w.ce) {
            0.95
        } else {
            0.85
        };
        self.push(PiiType::IpAddress, w.cs, w.cs + addr.len(), score);
        true
    }

    fn ipv6(&mut self, w: Word) -> bool {
        // The core trims trailing colons, which an address may end in (`fe80::`).
        let mut end = w.end;
        while end > w.cs
            && self
                .bytes
                .get(end - 1)
                .is_some_and(|c| b"\"'`,;)]}>.".contains(c))
        {
            end -= 1;
        }
        let core = self.text.get(w.cs..end).unwrap_or_default();
        let addr = core.trim_start_matches('[');
        let addr = addr.split([']', '/', '%']).next().unwrap_or(addr);
        if addr.bytes().filter(|&c| c == b':').count() < 2 || addr.len() < 6 {
            return false;
        }
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        let start = w.cs + (core.len() - core.trim_start_matches('[').len());
        self.push(PiiType::IpAddress, start, start + addr.len(), 0.85);
        true
    }

    fn mac(&mut self, w: Word) -> bool {
        let b = self.core_bytes(w);
        let ok = match b.len() {
            17 => {
                let sep = b.get(2).copied();
                matches!(sep, Some(b':' | b'-'))
                    && b.chunks(3).all(|c| {
                        c.first().is_some_and(u8::is_ascii_hexdigit)
                            && c.get(1).is_some_and(u8::is_ascii_hexdigit)
                            && c.get(2).is_none_or(|s| Some(*s) == sep)
                    })
            }
            14 => {
                b.get(4) == Some(&b'.')
                    && b.get(9) == Some(&b'.')
                    && b.iter()
                        .enumerate()
                        .all(|(i, c)| i == 4 || i == 9 || c.is_ascii_hexdigit())
            }
            _ => false,
        };
        if ok {
            self.push(PiiType::MacAddress, w.cs, w.ce, 0.9);
        }
        ok
    }

    // ----- dates and times ---------------------------------------------------

    /// Numeric dates (`2024-03-05`, `03/05/2024`, `5.3.2024`, ISO timestamps),
    /// times (`10:30`, `10:30:15`, `10am`), and card expiries (`09/27` near
    /// "exp").
    fn date_time(&mut self, i: usize, w: Word) -> bool {
        use shape::{COLON, DASH, DOT, LOWER, SLASH, UPPER};
        let core = self.core(w);
        let sh = w.shape;
        // Card expiry: MM/YY or MM/YYYY near an expiry keyword.
        if sh & (SLASH | DASH) != 0
            && let Some((m, y)) = split_byte(core, b'/').or_else(|| {
                split_byte(core, b'-').filter(|_| self.near(PiiType::CreditDebitExpiry, w.cs, w.ce))
            })
            && !y.bytes().any(|c| c == b'/' || c == b'-')
            && matches!(m.len(), 1 | 2)
            && matches!(y.len(), 2 | 4)
            && m.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
            && y.bytes().all(|c| c.is_ascii_digit())
        {
            if self.near(PiiType::CreditDebitExpiry, w.cs, w.ce) {
                self.push(PiiType::CreditDebitExpiry, w.cs, w.ce, 0.9);
                return true;
            }
            if y.len() == 4 {
                self.push(PiiType::DateTime, w.cs, w.ce, 0.6);
                return true;
            }
            return false;
        }
        // (The shape says which searches can find something.)
        let t = if sh & (UPPER | LOWER) != 0 {
            core.bytes().position(|c| c == b'T' || c == b't')
        } else {
            None
        };
        let (date_part, time_part) = match t {
            Some(p) if p >= 8 => (core.get(..p).unwrap_or_default(), core.get(p + 1..)),
            _ => (core, None),
        };
        if sh & (DASH | SLASH | DOT) != 0 && is_numeric_date(date_part) {
            if time_part
                .is_some_and(|t| !is_time(before_any(t.trim_end_matches(['Z', 'z']), b"+-")))
            {
                return false;
            }
            let mut end = w.ce;
            // "2024-03-05 10:30:00" and "03/05/2024 at 10:30 AM": one span.
            if let Some((time_end, _)) = self.time_after(i + 1, end) {
                end = time_end;
            }
            let score = if self.ctx.negative_before(w.cs, 15) {
                0.5
            } else {
                0.85
            };
            self.push(PiiType::DateTime, w.cs, end, score);
            return true;
        }
        // `10:30`, or an hour with am/pm (`10am`, `9:30pm`): a time has a
        // colon, am/pm letters.
        let clock = || {
            // Every `am` at the end, then every `pm`, ASCII case-insensitive.
            let b = core.as_bytes();
            let mut n = b.len();
            for suffix in [b"am", b"pm"] {
                while n >= 2
                    && b.get(n - 2..n)
                        .is_some_and(|x| x.eq_ignore_ascii_case(suffix))
                {
                    n -= 2;
                }
            }
            let bare = core.get(..n).unwrap_or_default();
            n < b.len()
                && n > 0
                && n <= 5
                && (is_time(bare) || bare.parse::<u8>().is_ok_and(|h| (1..=12).contains(&h)))
        };
        if (sh & COLON != 0 && is_time(core)) || (sh & (UPPER | LOWER) != 0 && clock()) {
            let mut end = w.ce;
            if let Some(&ampm) = self.words.get(i + 1)
                && self.single_gap(i)
                && ampm.lex & lexicon::AMPM != 0
            {
                end = ampm.ce;
            }
            self.push(PiiType::DateTime, w.cs, end, 0.75);
            return true;
        }
        false
    }

    /// "January 5, 2024", "Jan 5th", "5 January 2024", "March 2024".
    fn month_date(&mut self, i: usize) -> Option<usize> {
        let &w = self.words.get(i)?;
        let core = self.core(w).trim_end_matches('.');
        if w.lex & lexicon::MONTH == 0 {
            return None;
        }
        let mut end = None;
        let mut used = 1;
        if let Some(&day) = self.words.get(i + 1)
            && self.single_gap(i)
            && parse_day(self.core(day)).is_some()
        {
            end = Some(day.ce);
            used = 2;
            if let Some(&year) = self.words.get(i + 2)
                && year.start <= day.end + 2
                && is_year(self.core(year))
            {
                end = Some(year.ce);
                used = 3;
            }
        } else if let Some(&year) = self.words.get(i + 1)
            && self.single_gap(i)
            && is_year(self.core(year))
            && core.len() > 3
        {
            end = Some(year.ce);
            used = 2;
        }
        let mut start = w.cs;
        // "5 January 2024" / "the 5th of March": a day before the month.
        if let Some(prev) = i.checked_sub(1).and_then(|p| self.words.get(p))
            && self.single_gap(i - 1)
            && parse_day(self.core(*prev)).is_some()
        {
            start = prev.cs;
            if end.is_none() {
                end = Some(w.ce);
            }
        }
        let mut end = end?;
        // "Tuesday, June 7": the weekday belongs to the date.
        let day_before = start == w.cs;
        if day_before
            && let Some(prev) = i.checked_sub(1).and_then(|p| self.words.get(p))
            && prev.end + 1 == w.start
            && prev.lex & lexicon::WEEKDAY != 0
        {
            start = prev.cs;
        }
        // "May 16, 2018, 9:30 a.m.", "Dec 15 02:02:04", "June 26th, 2024 at 5:00 a.m.".
        if let Some((time_end, n)) = self.time_after(i + used, end) {
            end = time_end;
            used += n;
        }
        // "May" alone is a verb; "may 5" lowercase is likely prose.
        if core.eq_ignore_ascii_case("may") && !core.starts_with('M') {
            return None;
        }
        // A day before the month may already be a finding of its own (AGE…).
        while self
            .out
            .last()
            .is_some_and(|f| f.start >= start && f.end <= end)
        {
            self.out.pop();
        }
        self.push(PiiType::DateTime, start, end, 0.85);
        Some(used)
    }

    /// A time right after a date ending at `end`, from word `j`: optionally
    /// after "," or "at", with an AM/PM word. Returns its end and the words used.
    fn time_after(&self, j: usize, end: usize) -> Option<(usize, usize)> {
        let mut k = j;
        let mut w = *self.words.get(k)?;
        if w.start > end + 2 {
            return None;
        }
        if self.core(w).eq_ignore_ascii_case("at") {
            k += 1;
            w = *self.words.get(k)?;
        }
        let core = self.core(w);
        let lower = lowered(core);
        let bare = lower.trim_end_matches("am").trim_end_matches("pm");
        let time = is_time(core.trim_end_matches(['Z', 'z']))
            || (bare.len() < lower.len() && is_time(bare));
        if !time {
            return None;
        }
        let mut stop = w.ce;
        if let Some(&ampm) = self.words.get(k + 1)
            && ampm.start == w.end + 1
            && ampm.lex & lexicon::AMPM != 0
        {
            stop = ampm.ce;
            k += 1;
        }
        // A numeric offset after a log time: "+0000".
        Some((stop, k + 1 - j))
    }

    // ----- numbers -----------------------------------------------------------

    /// Collects digit groups starting at word `i`: `4111 1111 1111 1111`,
    /// `(555) 010-0199`, `+44 20 7946 0958`, `536-22-8451`.
    fn numeric(&mut self, i: usize) -> usize {
        use shape::{DASH, DIGIT, DOT, OTHER, SLASH};
        // The words that take part: `i` and up to five after it.
        let mut count_words = 0;
        let mut j = i;
        let mut total = 0;
        while let Some(&w) = self.words.get(j) {
            // Only digits and `-.()+/` (`(` before the core too): the core's
            // shape rules most words out at once.
            if w.shape & DIGIT == 0 || w.shape & !(DIGIT | DASH | DOT | SLASH | OTHER) != 0 {
                break;
            }
            // Digits and `-.()+/` only, at least one digit.
            let mut count = 0;
            let mut numeric = true;
            for &c in self.bytes.get(w.start..w.ce).unwrap_or_default() {
                if c.is_ascii_digit() {
                    count += 1;
                } else if !matches!(c, b'-' | b'.' | b'(' | b')' | b'+' | b'/') {
                    numeric = false;
                    break;
                }
            }
            if !numeric || count == 0 {
                break;
            }
            if j > i
                && (total + count > 19
                    || !self.single_gap(j - 1)
                    || self
                        .words
                        .get(j - 1)
                        .is_some_and(|p| p.ce != p.end && self.bytes.get(p.end - 1) != Some(&b')')))
            {
                break;
            }
            total += count;
            count_words += 1;
            j += 1;
            if count_words >= 6 {
                break;
            }
        }
        // Every number type has at least three digits (classify_number finds
        // nothing in fewer).
        if total < 3 {
            return if count_words >= 3 { count_words } else { 0 };
        }
        // One word of three to seven digits alone (most numbers): of what
        // classify_number knows, only a CVV, a PIN or a driver's license
        // number after its keyword (the same checks, in its order).
        if count_words == 1
            && total <= 7
            && let Some(&w) = self.words.get(i)
            && w.shape == shape::DIGIT
            && w.start == w.cs
        {
            let (start, end) = (w.cs, w.ce);
            let found = if total <= 4 && self.keyword_close(PiiType::CreditDebitCvv, start, 10) {
                Some((PiiType::CreditDebitCvv, 0.9))
            } else if (4..=6).contains(&total) && self.keyword_close(PiiType::Pin, start, 24) {
                Some((PiiType::Pin, 0.9))
            } else if total >= 5 && self.before(PiiType::DriverId, start, 40) {
                Some((PiiType::DriverId, 0.8))
            } else {
                None
            };
            return match found {
                Some((t, score)) => {
                    self.push(t, start, end, score);
                    1
                }
                None => 0,
            };
        }
        let mut shape = std::mem::take(self.digits);
        let mut found = None;
        for k in (1..=count_words).rev() {
            let (Some(first), Some(last)) = (self.words.get(i), self.words.get(i + k - 1)) else {
                break;
            };
            let start = if self
                .bytes
                .get(first.start)
                .is_some_and(|c| *c == b'(' || *c == b'+')
            {
                first.start
            } else {
                first.cs
            };
            let end = last.ce;
            digit_shape(self.bytes.get(start..end).unwrap_or_default(), &mut shape);
            if self.classify_number(&shape, start, end, k < count_words) {
                found = Some(k);
                break;
            }
        }
        *self.digits = shape;
        if let Some(k) = found {
            return k;
        }
        // Three or more digit groups that are nothing we know (a number failing
        // its checksum): none of their tails is read as something else.
        if count_words >= 3 { count_words } else { 0 }
    }

    fn classify_number(&mut self, s: &Digits, start: usize, end: usize, partial: bool) -> bool {
        use PiiType::*;
        let n = s.digits.len();
        let d = s.digits.as_slice();
        let one_sep = s.seps.windows(2).all(|p| p.first() == p.get(1));
        let sep = s.seps.first().copied();
        // A negative keyword before the number, asked at most once.
        let cx = self.ctx;
        let negative_seen = std::cell::Cell::new(None);
        let negative = || {
            negative_seen.get().unwrap_or_else(|| {
                let v = cx.negative_before(start, 20);
                negative_seen.set(Some(v));
                v
            })
        };
        let ctx = |scan: &Self, t: PiiType| scan.near(t, start, end);
        let groups = s.groups.as_slice();

        if (13..=19).contains(&n) && one_sep && !s.plus && !s.paren && checks::card_number(d) {
            let score = if ctx(self, CreditDebitNumber) {
                0.99
            } else if negative() {
                0.5
            } else {
                0.9
            };
            self.push(CreditDebitNumber, start, end, score);
            return true;
        }
        if s.plus && (8..=15).contains(&n) && s.seps.iter().all(|c| b" -.()".contains(c)) {
            self.push(
                Phone,
                start,
                end,
                if ctx(self, Phone) { 0.95 } else { 0.85 },
            );
            return true;
        }
        if n == 12
            && checks::aadhaar(d)
            && (self.keyword_close(InAadhaar, start, 30)
                || (groups == [4, 4, 4] && !partial && !negative()))
        {
            self.push(
                InAadhaar,
                start,
                end,
                if ctx(self, InAadhaar) { 0.95 } else { 0.8 },
            );
            return true;
        }
        if n == 9 && !s.paren && !s.plus {
            let dashed = groups == [3, 2, 4] && one_sep && matches!(sep, Some(b'-' | b' '));
            if dashed
                && checks::itin(d)
                && (!negative() || ctx(self, UsIndividualTaxIdentificationNumber))
            {
                self.push(
                    UsIndividualTaxIdentificationNumber,
                    start,
                    end,
                    if ctx(self, UsIndividualTaxIdentificationNumber) {
                        0.95
                    } else {
                        0.85
                    },
                );
                return true;
            }
            if dashed && checks::ssn(d) {
                let score = if ctx(self, Ssn) {
                    0.95
                } else if negative() {
                    0.4
                } else {
                    0.85
                };
                self.push(Ssn, start, end, score);
                return true;
            }
            if groups == [3, 3, 3] && one_sep && checks::ca_sin(d) {
                self.push(
                    CaSocialInsuranceNumber,
                    start,
                    end,
                    if ctx(self, CaSocialInsuranceNumber) {
                        0.95
                    } else {
                        0.6
                    },
                );
                return true;
            }
            if groups == [9] {
                let pairs: [(PiiType, Check); 4] = [
                    (Ssn, checks::ssn),
                    (UsIndividualTaxIdentificationNumber, checks::itin),
                    (BankRouting, checks::aba_routing),
                    (CaSocialInsuranceNumber, checks::ca_sin),
                ];
                for (t, check) in pairs {
                    if check(d) && ctx(self, t) {
                        self.push(t, start, end, 0.9);
                        return true;
                    }
                }
                if ctx(self, PassportNumber) {
                    self.push(PassportNumber, start, end, 0.85);
                    return true;
                }
            }
        }
        if n == 10 && !s.plus {
            if checks::nhs(d) && ctx(self, UkNationalHealthServiceNumber) {
                self.push(UkNationalHealthServiceNumber, start, end, 0.95);
                return true;
            }
            if ctx(self, UkUniqueTaxpayerReferenceNumber) && (groups == [10] || groups == [5, 5]) {
                self.push(UkUniqueTaxpayerReferenceNumber, start, end, 0.9);
                return true;
            }
            if ctx(self, CaHealthNumber) && (groups == [10] || groups == [4, 3, 3]) {
                self.push(CaHealthNumber, start, end, 0.9);
                return true;
            }
            let nanp = d.first().is_some_and(|c| (b'2'..=b'9').contains(c))
                && d.get(3).is_some_and(|c| (b'2'..=b'9').contains(c));
            let phone_shape = (groups == [3, 3, 4]
                && (s.paren || matches!(sep, Some(b'-' | b'.'))))
                || (s.paren && groups == [3, 7]);
            if nanp && (phone_shape || (ctx(self, Phone) && groups == [3, 3, 4])) {
                self.push(
                    Phone,
                    start,
                    end,
                    if ctx(self, Phone) {
                        0.95
                    } else if negative() {
                        0.5
                    } else {
                        0.85
                    },
                );
                return true;
            }
            if groups == [3, 3, 4] && sep == Some(b' ') && checks::nhs(d) {
                self.push(UkNationalHealthServiceNumber, start, end, 0.7);
                return true;
            }
            if groups == [10] && nanp && ctx(self, Phone) && !negative() {
                self.push(Phone, start, end, 0.85);
                return true;
            }
        }
        if n == 11
            && d.first() == Some(&b'1')
            && (groups == [1, 3, 3, 4] || (s.paren && groups.len() >= 3))
        {
            self.push(Phone, start, end, 0.85);
            return true;
        }
        if n == 7 && groups == [3, 4] && sep == Some(b'-') && ctx(self, Phone) {
            self.push(Phone, start, end, 0.8);
            return true;
        }
        // Types known only by their keyword.
        let compact = groups.len() == 1;
        if compact && (3..=4).contains(&n) && self.keyword_close(CreditDebitCvv, start, 10) {
            self.push(CreditDebitCvv, start, end, 0.9);
            return true;
        }
        if compact && (4..=6).contains(&n) && self.keyword_close(Pin, start, 24) {
            self.push(Pin, start, end, 0.9);
            return true;
        }
        if (8..=17).contains(&n)
            && self.near(BankAccountNumber, start, end)
            && !s.plus
            && !self.ctx.negative_before(start, 40)
        {
            self.push(BankAccountNumber, start, end, 0.85);
            return true;
        }
        if (8..=9).contains(&n) && compact && self.before(PassportNumber, start, 40) {
            self.push(PassportNumber, start, end, 0.85);
            return true;
        }
        if (5..=13).contains(&n) && self.before(DriverId, start, 40) {
            self.push(DriverId, start, end, 0.8);
            return true;
        }
        if (10..=20).contains(&n) && self.before(InNrega, start, 40) {
            self.push(InNrega, start, end, 0.85);
            return true;
        }
        // National numbers with a trunk 0 in groups: "0117 251 2773", "089639 58999".
        if d.first() == Some(&b'0')
            && (10..=12).contains(&n)
            && (2..=5).contains(&groups.len())
            && s.seps.iter().all(|c| matches!(c, b' ' | b'-'))
            && !negative()
            && !partial
        {
            self.push(Phone, start, end, if ctx(self, Phone) { 0.9 } else { 0.7 });
            return true;
        }
        // Ten digits written together: a phone number unless something says otherwise.
        if n == 10
            && groups == [10]
            && d.first().is_some_and(|c| (b'2'..=b'9').contains(c))
            && !negative()
            && !partial
        {
            self.push(
                Phone,
                start,
                end,
                if ctx(self, Phone) { 0.85 } else { 0.55 },
            );
            return true;
        }
        false
    }

    /// Ages: "42 years old" and "42 years" (the span keeps the unit),
    /// "42-year-old", "42yo", and a bare number right after "age"/"aged".
    fn age(&mut self, i: usize, w: Word) -> bool {
        // An age is one to three leading digits, at most 125.
        let b = self.core_bytes(w);
        let leading = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=3).contains(&leading) {
            return false;
        }
        let value = b
            .get(..leading)
            .unwrap_or_default()
            .iter()
            .fold(0u16, |v, c| v * 10 + u16::from(c - b'0'));
        if value > 125 {
            return false;
        }
        let lower = lowered(self.core(w).get(leading..).unwrap_or_default());
        let tail = lower.as_str();
        let unit = |s: &str| {
            matches!(
                s,
                "years" | "yrs" | "year" | "yr" | "y/o" | "yo" | "y.o" | "y.o."
            )
        };
        if matches!(tail, "yo" | "y/o" | "yrs" | "y.o")
            || tail.starts_with("-year-old")
            || tail.starts_with("-years-old")
            || tail.starts_with("-yr-old")
            || tail == "-year"
        {
            self.push(PiiType::Age, w.cs, w.ce, 0.85);
            return true;
        }
        if !tail.is_empty() {
            return false;
        }
        if let Some(&next) = self.words.get(i + 1)
            && self.single_gap(i)
            && unit(&lowered(self.core(next)))
        {
            // "42 years old": the span is "42 years"; "42 years of age" too.
            let next_core = lowered(self.core(next));
            let word_is = |k: usize, s: &str| {
                self.words
                    .get(i + k)
                    .is_some_and(|x| self.core_bytes(*x).eq_ignore_ascii_case(s.as_bytes()))
            };
            let old =
                word_is(2, "old") || word_is(2, "young") || (word_is(2, "of") && word_is(3, "age"));
            // "Victorino Poza, 76 years": right after a name.
            let after_name = self
                .out
                .last()
                .is_some_and(|f| f.label == Label::Pii(PiiType::Name) && f.end + 3 >= w.cs);
            let end = next.ce;
            if old
                || matches!(next_core.as_str(), "y/o" | "yo" | "y.o" | "y.o.")
                || after_name
                || self.before(PiiType::Age, w.cs, 30)
            {
                self.push(PiiType::Age, w.cs, end, 0.85);
                return true;
            }
        }
        if self.before(PiiType::Age, w.cs, 12) {
            self.push(PiiType::Age, w.cs, w.ce, 0.85);
            return true;
        }
        false
    }

    // ----- letters and digits --------------------------------------------------

    fn alnum_id(&mut self, i: usize) -> Option<usize> {
        use PiiType::*;
        let &w = self.words.get(i)?;
        let core = self.core(w);
        let b = core.as_bytes();
        let upper_digits = b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        // IBAN: compact, or in groups of four.
        if b.len() >= 4
            && b.iter().take(2).all(u8::is_ascii_uppercase)
            && b.get(2..4)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            && upper_digits
        {
            let mut compact: Vec<u8> = b.to_vec();
            let mut end = w.ce;
            let mut j = i;
            let mut best = None;
            loop {
                if checks::iban(&compact) {
                    best = Some((end, j - i + 1));
                }
                let Some(&next) = self.words.get(j + 1) else {
                    break;
                };
                let nb = self.core_bytes(next);
                if !self.single_gap(j)
                    || nb.is_empty()
                    || nb.len() > 4
                    || compact.len() + nb.len() > 34
                    || !nb
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    break;
                }
                compact.extend_from_slice(nb);
                end = next.ce;
                j += 1;
            }
            if let Some((end, used)) = best {
                self.push(InternationalBankAccountNumber, w.cs, end, 0.95);
                return Some(used);
            }
        }
        if !upper_digits {
            return None;
        }
        let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
        if b.len() == 17 && checks::vin(b) {
            self.push(
                VehicleIdentificationNumber,
                w.cs,
                w.ce,
                if self.near(VehicleIdentificationNumber, w.cs, w.ce) {
                    0.98
                } else {
                    0.9
                },
            );
            return Some(1);
        }
        if b.len() == 9 && checks::uk_nino(b) {
            self.push(
                UkNationalInsuranceNumber,
                w.cs,
                w.ce,
                if self.near(UkNationalInsuranceNumber, w.cs, w.ce) {
                    0.95
                } else {
                    0.85
                },
            );
            return Some(1);
        }
        // "AB 12 34 56 C"
        if b.len() == 2
            && b.iter().all(u8::is_ascii_uppercase)
            && (1..4).all(|k| self.words.get(i + k).is_some_and(|p| p.ce - p.cs == 2))
            && (0..4).all(|k| self.single_gap(i + k))
            && let Some(&last) = self.words.get(i + 4)
        {
            // Nine characters and a check letter: joined on the stack.
            let mut joined = [0u8; 9];
            let mut n = 0;
            for k in 0..5 {
                let part = self
                    .words
                    .get(i + k)
                    .map_or(&[][..], |p| self.core_bytes(*p));
                for &c in part {
                    if let Some(slot) = joined.get_mut(n) {
                        *slot = c;
                    }
                    n += 1;
                }
            }
            if n == 9 && checks::uk_nino(&joined) {
                self.push(UkNationalInsuranceNumber, w.cs, last.ce, 0.9);
                return Some(5);
            }
        }
        if b.len() == 10 && checks::in_pan(b) {
            self.push(
                InPermanentAccountNumber,
                w.cs,
                w.ce,
                if self.near(InPermanentAccountNumber, w.cs, w.ce) {
                    0.95
                } else {
                    0.85
                },
            );
            return Some(1);
        }
        if (b.len() == 8 || b.len() == 11) && checks::swift(b) {
            let keyed = self.near(SwiftCode, w.cs, w.ce);
            // Without a keyword, an 8-letter capitalized word is rarely a BIC.
            let score = if keyed {
                0.95
            } else if digits > 0 || b.len() == 11 {
                0.6
            } else {
                0.3
            };
            self.push(SwiftCode, w.cs, w.ce, score);
            return Some(1);
        }
        if b.len() == 10
            && b.iter().take(3).all(u8::is_ascii_uppercase)
            && b.iter().skip(3).all(u8::is_ascii_digit)
        {
            let score = if self.near(InVoterNumber, w.cs, w.ce) {
                0.95
            } else {
                0.45
            };
            self.push(InVoterNumber, w.cs, w.ce, score);
            return Some(1);
        }
        None
    }

    /// Identifiers known only by their keyword — passports, driver ids,
    /// plates, NREGA job cards — written in one or more groups of capitals,
    /// digits and hyphens (`DL# Z411-940-53-157-1`, `plate MP 09 EA 8362`).
    /// The nearest keyword on the same line decides the type.
    fn keyed_value(&mut self, i: usize) -> Option<usize> {
        use PiiType::*;
        let &w = self.words.get(i)?;
        let bits = KEYED_TYPES.iter().fold(0, |acc, t| acc | t.bit());
        let start = w.cs;
        // The keyword is at most 60 bytes back, on this line.
        let window = start.saturating_sub(60);
        // Words come in order: a cursor walks the hits once per text.
        let hits = self.ctx.hits;
        if self
            .keyed_cursor
            .checked_sub(1)
            .and_then(|p| hits.get(p))
            .is_some_and(|h| h.end >= window)
        {
            self.keyed_cursor = self.ctx.first_ending_from(window);
        }
        while hits.get(self.keyed_cursor).is_some_and(|h| h.end < window) {
            self.keyed_cursor += 1;
        }
        let first = self.keyed_cursor;
        let hit = self
            .ctx
            .hits
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.end <= start)
            .filter(|h| h.types & bits != 0)
            .last()
            .copied()
            .filter(|h| {
                !self
                    .bytes
                    .get(h.end..start)
                    .unwrap_or_default()
                    .contains(&b'\n')
            });
        // The keyword's type, else the column's.
        let types = hit.map_or(self.ctx.column, |h| h.types);
        let t = KEYED_TYPES.iter().find(|t| types & t.bit() != 0).copied()?;
        // Another identifier between the keyword and this word belongs to it.
        if let Some(h) = hit
            && self.out.last().is_some_and(|f| {
                f.start >= h.end
                    && !matches!(
                        f.label,
                        Label::Pii(PiiType::Name | PiiType::DateTime | PiiType::Age)
                    )
            })
        {
            return None;
        }
        let group_ok = |b: &[u8]| {
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || b"-/".contains(c))
        };
        let max_groups = match t {
            LicensePlate => 4,
            DriverId => 5,
            _ => 1,
        };
        let mut end = None;
        let mut compact = 0;
        let mut digits = 0;
        let mut letters = 0;
        let mut used = 0;
        for k in 0..max_groups {
            let Some(&x) = self.words.get(i + k) else {
                break;
            };
            let b = self.core_bytes(x);
            if (k > 0 && !self.single_gap(i + k - 1)) || !group_ok(b) {
                break;
            }
            if k > 0
                && self.bytes.get(
                    self.words
                        .get(i + k - 1)
                        .map_or(0, |p| p.end)
                        .saturating_sub(1),
                ) == Some(&b',')
            {
                break;
            }
            compact += b.iter().filter(|c| c.is_ascii_alphanumeric()).count();
            digits += b.iter().filter(|c| c.is_ascii_digit()).count();
            letters += b.iter().filter(|c| c.is_ascii_uppercase()).count();
            end = Some(x.ce);
            used = k + 1;
            if self.bytes.get(x.ce) == Some(&b',') || x.ce != x.end {
                break;
            }
        }
        let end = end?;
        let ok = digits > 0
            && match t {
                PassportNumber => (6..=9).contains(&compact) && digits >= 4,
                DriverId => (5..=20).contains(&compact),
                LicensePlate => (4..=10).contains(&compact) && letters > 0,
                InNrega => (10..=24).contains(&compact),
                _ => false,
            };
        if !ok {
            return None;
        }
        self.push(t, start, end, if hit.is_some() { 0.85 } else { 0.8 });
        Some(used)
    }

    /// An NREGA job card number: state code, district, block, panchayat and
    /// household numbers, and the member after a slash (`UP-41-580-399-680353/96`).
    fn nrega(&mut self, w: Word) -> bool {
        let core = self.core(w);
        let (card, member) = split_byte(core, b'/').unwrap_or((core, ""));
        let card = card.as_bytes();
        let shape = card.iter().filter(|&&c| c == b'-').count() == 4
            && card.split(|&c| c == b'-').enumerate().all(|(k, p)| {
                if k == 0 {
                    p.len() == 2 && p.iter().all(u8::is_ascii_uppercase)
                } else {
                    (2..=7).contains(&p.len()) && p.iter().all(u8::is_ascii_digit)
                }
            })
            && (member.is_empty()
                || (1..=3).contains(&member.len()) && member.bytes().all(|c| c.is_ascii_digit()));
        if !shape {
            return false;
        }
        let keyed = self.near(PiiType::InNrega, w.cs, w.ce);
        self.push(PiiType::InNrega, w.cs, w.ce, if keyed { 0.95 } else { 0.8 });
        true
    }

    /// A chat line's speaker: `[12pm] rossan8: done`, `djohnson: anyone…`,
    /// `Vicente: it's…` — the first word of a line (after a `[time]`), ending
    /// in a colon. A handle is a USERNAME, a known first name a NAME.
    fn speaker(&mut self, i: usize) -> bool {
        let Some(&w) = self.words.get(i) else {
            return false;
        };
        // "name:" or "name 😅:" (an emoji between the name and the colon).
        let colon_end = if self.bytes.get(w.ce) == Some(&b':') && w.ce + 1 == w.end {
            w.end
        } else {
            match self.words.get(i + 1) {
                Some(next)
                    if next.start == w.end + 1
                        && w.ce == w.end
                        && self.bytes.get(next.end - 1) == Some(&b':')
                        && !self
                            .bytes
                            .get(next.start..next.end)
                            .unwrap_or_default()
                            .iter()
                            .any(u8::is_ascii_alphanumeric) =>
                {
                    next.end
                }
                _ => return false,
            }
        };
        // Only at a line's start, or after a "[04:45]" / "[2025-09-14 10:48]".
        // (A prefix longer than 40 bytes is not a timestamp: look no further.)
        let window = w.start.saturating_sub(41);
        // Most words have another word before them on the line: the byte
        // before the spaces is neither a line's end nor a `]`.
        let mut q = w.start;
        while q > window
            && self
                .bytes
                .get(q - 1)
                .is_some_and(|&c| c != b'\n' && c.is_ascii_whitespace())
        {
            q -= 1;
        }
        if q > 0 && !matches!(self.bytes.get(q - 1), Some(b'\n' | b']')) {
            return false;
        }
        let line_start = match self
            .bytes
            .get(window..w.start)
            .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
        {
            Some(p) => window + p + 1,
            None if window == 0 => 0,
            None => return false,
        };
        let prefix = self.bytes.get(line_start..w.start).unwrap_or_default();
        let trimmed = prefix.trim_ascii_end();
        if !(trimmed.is_empty()
            || (trimmed.first() == Some(&b'[')
                && trimmed.last() == Some(&b']')
                && trimmed.len() < 40))
        {
            return false;
        }
        let core = self.core(w);
        // A YAML key (`admin_email:`) is not a speaker: a handle has a digit or
        // a dot, or is an initial and a surname.
        let handle = username_like(core) && core.bytes().any(|c| c.is_ascii_digit() || c == b'.');
        if handle || handle_of_name(&self.d.names, core) {
            self.push(PiiType::Username, w.cs, w.ce, 0.8);
            return true;
        }
        // "Username:", "To:": a keyword is a field label, not a speaker.
        let first = self.ctx.first_ending_from(w.ce);
        let keyword = self
            .ctx
            .hits
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.end <= w.ce + crate::context::MAX_KEYWORD)
            .any(|h| h.start <= w.cs);
        if !self.name_like(w) || keyword || w.lex & (lexicon::FIELD_LABEL | lexicon::NOT_NAME) != 0
        {
            return false;
        }
        // What follows reads as chat: "Kavya: my new number…", "Élodie: I'm 13".
        let said = self
            .text
            .get(colon_end..)
            .unwrap_or_default()
            .trim_start_matches(' ')
            .split(' ')
            .next()
            .unwrap_or_default();
        let chatty = said.chars().next().is_some_and(char::is_lowercase)
            || matches!(
                said,
                "I" | "I'm"
                    | "I\u{2019}m"
                    | "Hi"
                    | "Hey"
                    | "Hello"
                    | "Thanks"
                    | "Can"
                    | "Please"
                    | "Yes"
                    | "No"
                    | "OK"
            );
        if self.first_name(w) || chatty {
            self.push(PiiType::Name, w.cs, w.ce, 0.8);
            return true;
        }
        false
    }

    /// `password: hunter2`, `username=jdoe`, `my password is hunter2`.
    fn label_value(&mut self, i: usize) -> usize {
        use PiiType::*;
        let Some(&w) = self.words.get(i) else {
            return 0;
        };
        if !self.may_follow_label(w.start) {
            return 0;
        }
        let (bits, longest) = self.label_before(w.start);
        let types = bits & (Password.bit() | Username.bit());
        if types == 0 {
            return 0;
        }
        // `user: x`, `pass=x`: the label's punctuation right before the value.
        let punct = w
            .start
            .checked_sub(1)
            .and_then(|p| self.bytes.get(p))
            .is_some_and(|c| matches!(c, b':' | b'=' | b'"' | b'\''))
            || self.words.get(i.wrapping_sub(1)).is_some_and(|p| {
                self.bytes
                    .get(p.end.wrapping_sub(1))
                    .is_some_and(|c| matches!(c, b':' | b'='))
            });
        // Short labels ("pass", "pw", "user", "login") are ordinary words too:
        // they count only with that punctuation. "password is X" skips the verb.
        let strong = longest > 5;
        let mut value = w;
        let mut used = 1;
        if !punct {
            let verb = matches!(self.core_bytes(w), [b'i' | b'I', b's' | b'S'])
                || self.core_bytes(w).eq_ignore_ascii_case(b"was");
            if verb {
                match self.words.get(i + 1) {
                    Some(&next) if next.start == w.end + 1 && next.lex & lexicon::FILLER == 0 => {
                        value = next;
                        used = 2;
                    }
                    _ => return 0,
                }
            } else if !(strong || types & Username.bit() != 0 && username_like(self.core(w))) {
                return 0;
            }
        }
        let core = self.core(value);
        if core.len() < 3 || core.len() > 64 || value.lex & lexicon::FILLER != 0 {
            return 0;
        }
        let t = if types & Password.bit() != 0 {
            Password
        } else {
            Username
        };
        // "Owner: Micaela Bilbao" is a name; handles are not capitalized words.
        if t == Username && self.name_like(value) {
            return 0;
        }
        let score = if punct { 0.9 } else { 0.8 };
        // A password keeps its punctuation; only quotes, separators and a
        // sentence's final period are not part of it.
        let mut end = if t == Password {
            // A password may hold field separators (`&`, `;`, `,`): it runs to
            // the next space.
            self.bytes
                .get(value.cs..)
                .and_then(|b| b.iter().position(u8::is_ascii_whitespace))
                .map_or(self.bytes.len(), |p| value.cs + p)
        } else {
            value.end
        };
        while end > value.cs
            && self
                .bytes
                .get(end - 1)
                .is_some_and(|c| b"\"'`,;)]}".contains(c))
        {
            end -= 1;
        }
        if end > value.cs + 1 && self.bytes.get(end - 1) == Some(&b'.') {
            end -= 1;
        }
        let start = value.cs;
        self.push(t, start, if t == Password { end } else { value.ce }, score);
        used
    }

    /// The whole value of a column whose name is a context-only type's keyword.
    fn whole_value(&mut self, column: u64) {
        use PiiType::*;
        if !self.out.is_empty() || self.words.len() != 1 {
            return;
        }
        let Some(&w) = self.words.first() else { return };
        let b = self.core_bytes(w);
        let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
        let candidates = [
            (Password, b.len() >= 4),
            (
                Username,
                b.len() >= 3
                    && b.iter()
                        .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c)),
            ),
            (Pin, (4..=6).contains(&b.len()) && digits == b.len()),
            (
                CreditDebitCvv,
                (3..=4).contains(&b.len()) && digits == b.len(),
            ),
            (
                BankAccountNumber,
                (8..=17).contains(&digits) && digits == b.len(),
            ),
            (PassportNumber, (6..=9).contains(&b.len()) && digits >= 6),
            (DriverId, (5..=16).contains(&b.len()) && digits > 0),
            (LicensePlate, (2..=8).contains(&b.len()) && digits > 0),
            (Age, (1..=3).contains(&b.len()) && digits == b.len()),
        ];
        for (t, ok) in candidates {
            if ok && column & t.bit() != 0 {
                self.push(t, w.cs, w.ce, 0.85);
                return;
            }
        }
    }

    // ----- names and addresses -------------------------------------------------

    /// A capitalized word that can be part of a name ([`name_like`]).
    fn name_like(&self, w: Word) -> bool {
        w.name_like
    }

    fn is_initial(&self, w: Word) -> bool {
        let raw = self.bytes.get(w.cs..w.end).unwrap_or_default();
        matches!(raw, [c] | [c, b'.'] if c.is_ascii_uppercase())
    }

    fn name(&mut self, i: usize) -> Option<usize> {
        let &w = self.words.get(i)?;
        // Mr./Dr. + name.
        if w.lex & lexicon::TITLE != 0 {
            let (end, used) = self.name_run(i + 1, 3)?;
            let start = self.words.get(i + 1)?.cs;
            self.push(PiiType::Name, start, end, 0.9);
            return Some(used + 1);
        }
        if !self.name_like(w) {
            return None;
        }
        let next_is_comma = self.bytes.get(w.ce) == Some(&b',');
        // "Smith, John"
        if next_is_comma
            && self.last_name(w)
            && w.lex & lexicon::NOT_NAME == 0
            && let Some(&next) = self.words.get(i + 1)
            && self.name_like(next)
            && self.first_name(next)
            && self.ctx.near(PiiType::Name.bit(), w.cs, next.ce, 30)
        {
            self.push(PiiType::Name, w.cs, next.ce, 0.8);
            return Some(2);
        }
        if self.first_name(w) {
            let context = self.after_name_label(w);
            // First [Initial] Last [Last2]
            let mut j = i + 1;
            if let Some(&mid) = self.words.get(j)
                && !next_is_comma
                && self.single_gap(j - 1)
                && self.is_initial(mid)
            {
                j += 1;
            }
            if let Some(&last) = self.words.get(j)
                && !next_is_comma
                && self.single_gap(j - 1)
                && self.name_like(last)
            {
                let known = self.last_name(last);
                let common = last.lex & (lexicon::NOT_NAME | lexicon::MONTH) != 0;
                let first_common = w.lex & lexicon::NOT_NAME != 0;
                let score: f32 = match (known, common, first_common) {
                    (true, _, false) => 0.9,
                    (true, _, true) => 0.7,
                    (false, false, false) => 0.75,
                    _ => 0.0,
                };
                if score > 0.0 {
                    let mut end = last.ce;
                    let mut used = j - i + 1;
                    if let Some(&extra) = self.words.get(j + 1)
                        && self.bytes.get(last.ce) != Some(&b',')
                        && self.single_gap(j)
                        && self.name_like(extra)
                        && self.last_name(extra)
                        && extra.lex & lexicon::NOT_NAME == 0
                    {
                        end = extra.ce;
                        used += 1;
                    }
                    let score = if context { score.max(0.85) } else { score };
                    self.push(PiiType::Name, w.cs, end, score);
                    return Some(used);
                }
            }
            if context && w.lex & lexicon::NOT_NAME == 0 {
                self.push(PiiType::Name, w.cs, w.ce, 0.75);
                return Some(1);
            }
            return None;
        }
        // Unknown capitalized words right after "Name:" / "Dear" / "patient".
        if w.lex & lexicon::NOT_NAME == 0 && self.after_name_label(w) {
            let (end, used) = self.name_run(i, 3)?;
            self.push(PiiType::Name, w.cs, end, 0.75);
            return Some(used);
        }
        // "Aarini Tripathi <waida71@hotmail.com>", "Tomás Ros,iroberts@gmx.de":
        // two or three capitalized words right before an email address.
        let at = |k: usize| {
            self.words
                .get(i + k)
                .is_some_and(|n| n.shape & shape::AT != 0)
        };
        if (at(2) || at(3))
            && let Some((end, used)) = self.name_run(i, 3)
            && used >= 2
            && let Some(&next) = self.words.get(i + used)
            && next.start <= end + 3
            && self.core(next).contains('@')
        {
            self.push(PiiType::Name, w.cs, end, 0.8);
            return Some(used);
        }
        None
    }

    /// Up to `max` name-like words (or initials) from word `i`: their end and count.
    fn name_run(&self, i: usize, max: usize) -> Option<(usize, usize)> {
        let mut end = None;
        let mut used = 0;
        for k in 0..max {
            let Some(&w) = self.words.get(i + k) else {
                break;
            };
            if k > 0
                && (!self.single_gap(i + k - 1)
                    || self.bytes.get(self.words.get(i + k - 1)?.ce) == Some(&b','))
            {
                break;
            }
            if !(self.name_like(w) || self.is_initial(w)) || w.lex & lexicon::NOT_NAME != 0 {
                break;
            }
            end = Some(w.ce);
            used += 1;
        }
        end.map(|e| (e, used))
    }

    /// A street address: a house number (`742`, `12B`, `39/71`, `65,`), one to
    /// four street words ending in a street type (`Evergreen Terrace`,
    /// `Deshmukh Nagar`, `Coleman Prairie`), then what follows it: a unit, a
    /// city, a US state and ZIP, an Indian state and PIN, or a UK postcode.
    fn address(&mut self, i: usize) -> Option<usize> {
        let &num = self.words.get(i)?;
        let nb = self.core_bytes(num);
        let digits = nb.iter().take_while(|c| c.is_ascii_digit()).count();
        let house = (1..=6).contains(&digits)
            && (nb.len() == digits
                || (nb.len() == digits + 1 && nb.last().is_some_and(u8::is_ascii_alphabetic))
                || (nb.get(digits) == Some(&b'/')
                    && nb.iter().skip(digits + 1).all(u8::is_ascii_digit)));
        if !house {
            return None;
        }
        let mut j = i + 1;
        let mut street_words = 0;
        let mut end = None;
        while let Some(&w) = self.words.get(j) {
            let gap_ok = w.start <= self.words.get(j - 1).map_or(0, |p| p.end) + 1
                && self.words.get(j - 1).is_some_and(|p| p.end + 1 == w.start);
            if !gap_ok || street_words > 4 {
                break;
            }
            let core = self.core(w);
            if street_words > 0 && w.lex & lexicon::STREET_TYPE != 0 {
                end = Some(w.ce);
                j += 1;
                break;
            }
            // Neither capitalized, an ordinal (a digit first) nor a direction
            // (two letters at most): most words after a number.
            if core.len() > 2
                && core
                    .as_bytes()
                    .first()
                    .is_some_and(|c| c.is_ascii() && !c.is_ascii_uppercase() && !c.is_ascii_digit())
            {
                break;
            }
            let first = core.chars().next().unwrap_or(' ');
            let ordinal = || {
                let lower = lowered(core);
                core.len() >= 3
                    && first.is_ascii_digit()
                    && ["st", "nd", "rd", "th"].iter().any(|s| lower.ends_with(s))
            };
            let direction = || {
                core.len() <= 2
                    && matches!(
                        lowered(core).trim_end_matches('.'),
                        "n" | "s" | "e" | "w" | "ne" | "nw" | "se" | "sw"
                    )
            };
            if !(first.is_uppercase() || ordinal() || direction()) {
                break;
            }
            // "39/71, Badal Zila": a comma may follow the house number only.
            if self.bytes.get(w.ce) == Some(&b',') && !(street_words == 0 && j == i + 1) {
                break;
            }
            street_words += 1;
            j += 1;
        }
        let end = end?;
        let (end, next, complete) = self.address_tail(j, end);
        self.push(
            PiiType::Address,
            num.cs,
            end,
            if complete { 0.92 } else { 0.82 },
        );
        Some((next - i).max(1))
    }

    /// "Flat 20, 6 Thomas Bypass, …", "H.No. 693, Mody Zila, …": a unit
    /// before the house number joins the address.
    fn unit_address(&mut self, i: usize) -> Option<usize> {
        let &w = self.words.get(i)?;
        // (A core never ends in `.`: `Apt.` is `Apt`.)
        if w.lex & (lexicon::UNIT | lexicon::UNIT_EXTRA) == 0 {
            return None;
        }
        let &id = self.words.get(i + 1)?;
        if !self.core_bytes(id).iter().any(u8::is_ascii_digit)
            || self.bytes.get(id.ce) != Some(&b',')
        {
            return None;
        }
        let before = self.out.len();
        // "Flat 20, 6 Thomas Bypass" (a house number follows) or
        // "H.No. 693, Mody Zila" (the unit's number is the house number).
        let used = match self.address(i + 2) {
            Some(n) => n + 2,
            None => self.address(i + 1)? + 1,
        };
        if let Some(f) = self.out.get_mut(before) {
            f.start = w.cs;
        }
        Some(used)
    }

    /// "P.O. Box 1234, Springfield, IL 62704".
    fn po_box(&mut self, i: usize) -> Option<usize> {
        let &w = self.words.get(i)?;
        if !matches!(self.bytes.get(w.cs), Some(b'p' | b'P')) || w.ce - w.cs > 4 {
            return None;
        }
        let core = self.core_bytes(w);
        if !(core.eq_ignore_ascii_case(b"p.o")
            || core.eq_ignore_ascii_case(b"po")
            || core.eq_ignore_ascii_case(b"p.o."))
        {
            return None;
        }
        let &bx = self.words.get(i + 1)?;
        let &n = self.words.get(i + 2)?;
        if !self.core(bx).eq_ignore_ascii_case("box")
            || !self.core_bytes(n).iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let (end, j, _) = self.address_tail(i + 3, n.ce);
        self.push(PiiType::Address, w.cs, end, 0.88);
        Some(j - i)
    }

    /// Extends an address over a unit, a city, a state and a postal code.
    /// Returns (end, next word index, whether city/state/postcode were found).
    fn address_tail(&self, mut j: usize, mut end: usize) -> (usize, usize, bool) {
        // Unit: "Apt 4B", "Apt. 104", "Suite 200", "#12".
        if let Some(&w) = self.words.get(j) {
            let core = self.core_bytes(w);
            if w.start <= end + 2
                && w.lex & lexicon::UNIT != 0
                && let Some(&id) = self.words.get(j + 1)
                && id.start <= w.end + 2
                && self.core_bytes(id).iter().any(u8::is_ascii_alphanumeric)
            {
                end = id.ce;
                j += 2;
            } else if core.first() == Some(&b'#') && core.len() > 1 && w.start <= end + 2 {
                end = w.ce;
                j += 1;
            }
        }
        // City: up to three capitalized words, then a state and a postal code.
        let mut k = j;
        let mut city_end = None;
        let mut words_in_city = 0;
        while let Some(&w) = self.words.get(k) {
            let prev_end = city_end.unwrap_or(end);
            if words_in_city >= 3 || w.start > prev_end + 2 {
                break;
            }
            let core = self.core(w);
            let first = core.chars().next().unwrap_or(' ');
            if !first.is_uppercase()
                || (core.len() == 2 && is_us_state(core))
                || self
                    .words
                    .get(k + 1)
                    .is_some_and(|n| is_uk_postcode(core, self.core(*n)))
                || indian_state(self, k).is_some()
            {
                break;
            }
            words_in_city += 1;
            city_end = Some(w.ce);
            k += 1;
            if self.bytes.get(w.ce) == Some(&b',') {
                break;
            }
        }
        let Some(city_end) = city_end else {
            return (end, j, false);
        };
        let Some(&st) = self.words.get(k) else {
            return (city_end, k, false);
        };
        if st.start > city_end + 2 {
            return (end, j, false);
        }
        let core = self.core(st);
        if core.len() == 2 && is_us_state(core) {
            let mut stop = st.ce;
            let mut next = k + 1;
            if let Some(&zip) = self.words.get(k + 1)
                && self.single_gap(k)
                && is_zip(self.core(zip))
            {
                stop = zip.ce;
                next += 1;
            }
            return (stop, next, true);
        }
        if let Some(&second) = self.words.get(k + 1)
            && is_uk_postcode(core, self.core(second))
        {
            return (second.ce, k + 2, true);
        }
        if let Some(n) = indian_state(self, k) {
            let last = k + n - 1;
            let mut stop = self.words.get(last).map_or(city_end, |w| w.ce);
            let mut next = k + n;
            if let Some(&pin) = self.words.get(k + n) {
                let pb = self.core_bytes(pin);
                if pb.len() == 6 && pb.iter().all(u8::is_ascii_digit) && pin.start <= stop + 2 {
                    stop = pin.ce;
                    next += 1;
                }
            }
            return (stop, next, true);
        }
        (end, j, false)
    }
}

/// A word ASCII-lowercased: the word itself when it has no capital, else a
/// copy, on the stack when short (words are lowercased for comparisons many
/// times per kilobyte of text).
enum Lower<'a> {
    Same(&'a str),
    Short([u8; 32], usize),
    Long(String),
}

impl Lower<'_> {
    fn as_str(&self) -> &str {
        match self {
            Lower::Same(s) => s,
            // ASCII lowercasing keeps UTF-8 valid, so this does not fail.
            Lower::Short(buf, len) => {
                std::str::from_utf8(buf.get(..*len).unwrap_or_default()).unwrap_or_default()
            }
            Lower::Long(s) => s,
        }
    }
}

impl std::ops::Deref for Lower<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// `s` ASCII-lowercased, copied only when it has a capital.
fn lowered(s: &str) -> Lower<'_> {
    if !s.bytes().any(|c| c.is_ascii_uppercase()) {
        return Lower::Same(s);
    }
    let mut buf = [0; 32];
    if s.len() > buf.len() {
        return Lower::Long(s.to_ascii_lowercase());
    }
    for (d, c) in buf.iter_mut().zip(s.bytes()) {
        *d = c.to_ascii_lowercase();
    }
    Lower::Short(buf, s.len())
}

/// `s` split at the first `sep` (an ASCII byte), like `str::split_once`;
/// a byte loop, quicker than a char search on words this short.
fn split_byte(s: &str, sep: u8) -> Option<(&str, &str)> {
    let p = s.bytes().position(|c| c == sep)?;
    Some((s.get(..p)?, s.get(p + 1..)?))
}

/// `s` up to its first byte in `seps` (ASCII), like `s.split(seps).next()`.
fn before_any<'s>(s: &'s str, seps: &[u8]) -> &'s str {
    s.bytes()
        .position(|c| seps.contains(&c))
        .and_then(|p| s.get(..p))
        .unwrap_or(s)
}

/// A validator over an identifier's characters.
type Check = fn(&[u8]) -> bool;

/// Indian states and union territories, as words (`Andhra Pradesh`).
pub(crate) const INDIAN_STATES: &[&str] = &[
    "Andhra Pradesh",
    "Arunachal Pradesh",
    "Assam",
    "Bihar",
    "Chhattisgarh",
    "Goa",
    "Gujarat",
    "Haryana",
    "Himachal Pradesh",
    "Jharkhand",
    "Karnataka",
    "Kerala",
    "Madhya Pradesh",
    "Maharashtra",
    "Manipur",
    "Meghalaya",
    "Mizoram",
    "Nagaland",
    "Odisha",
    "Punjab",
    "Rajasthan",
    "Sikkim",
    "Tamil Nadu",
    "Telangana",
    "Tripura",
    "Uttar Pradesh",
    "Uttarakhand",
    "West Bengal",
    "Delhi",
    "Puducherry",
    "Chandigarh",
    "Ladakh",
    "Lakshadweep",
    "Jammu and Kashmir",
    "Andaman and Nicobar Islands",
    "Dadra and Nagar Haveli and Daman and Diu",
];

/// Words an Indian state spans from word `k`, if one starts there.
fn indian_state(scan: &Scan<'_>, k: usize) -> Option<usize> {
    let first = scan.words.get(k)?;
    // A state's first word is in the word tables (ASCII case-insensitive).
    if first.lex & lexicon::INDIAN_STATE == 0
        || !scan
            .core_bytes(*first)
            .first()
            .is_some_and(u8::is_ascii_uppercase)
    {
        return None;
    }
    let core = scan.core(*first);
    INDIAN_STATES.iter().find_map(|state| {
        // The first word decides most states: compare it before walking on
        // (the state's first word is `core`: it starts the state, then a space
        // or the end).
        let rest = state.strip_prefix(core)?;
        let rest = if rest.is_empty() {
            rest
        } else {
            rest.strip_prefix(' ')?
        };
        let mut n = 1;
        for p in rest.split(' ').filter(|_| !rest.is_empty()) {
            let ok = scan.words.get(k + n).is_some_and(|w| scan.core(*w) == p)
                && scan.single_gap(k + n - 1);
            if !ok {
                return None;
            }
            n += 1;
        }
        Some(n)
    })
}

fn digit_shape(raw: &[u8], s: &mut Digits) {
    s.digits.clear();
    s.groups.clear();
    s.seps.clear();
    s.plus = raw.first() == Some(&b'+');
    s.paren = raw.contains(&b'(');
    let mut run = 0;
    for &c in raw {
        if c.is_ascii_digit() {
            s.digits.push(c);
            run += 1;
        } else {
            if run > 0 {
                s.groups.push(run);
                if c != b'(' && c != b')' {
                    s.seps.push(c);
                }
            }
            run = 0;
        }
    }
    if run > 0 {
        s.groups.push(run);
    }
    s.seps.retain(|c| *c != b'+');
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && domain.len() <= 253
        && tld.len() >= 2
        && tld.bytes().all(|c| c.is_ascii_alphabetic())
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

fn is_numeric_date(s: &str) -> bool {
    let s = s.as_bytes();
    let sep = match s.iter().find(|c| !c.is_ascii_digit()) {
        Some(&c @ (b'-' | b'/' | b'.')) => c,
        _ => return false,
    };
    // Exactly three parts between the separators, each one to four digits.
    let mut parts = [(0u32, 0usize); 3];
    let mut n = 0;
    for part in s.split(|&c| c == sep) {
        let Some(slot) = parts.get_mut(n) else {
            return false;
        };
        if part.is_empty() || part.len() > 4 || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let value = part.iter().fold(0, |v, &c| v * 10 + u32::from(c - b'0'));
        *slot = (value, part.len());
        n += 1;
    }
    let [(x, a), (y, b), (z, c)] = parts;
    if n != 3 {
        return false;
    }
    let year =
        |v: u32, len: usize| (len == 4 && (1900..=2100).contains(&v)) || (len == 2 && sep == b'/');
    if a == 4 {
        // yyyy-mm-dd
        year(x, 4) && (1..=12).contains(&y) && (1..=31).contains(&z) && b <= 2 && c <= 2
    } else {
        // mm/dd/yyyy or dd/mm/yyyy (or .yy with /)
        year(z, c)
            && a <= 2
            && b <= 2
            && (((1..=12).contains(&x) && (1..=31).contains(&y))
                || ((1..=31).contains(&x) && (1..=12).contains(&y)))
    }
}

fn is_time(s: &str) -> bool {
    let s = before_any(s, b".,").as_bytes();
    // Two or three parts: `h:mm` or `h:mm:ss`, hours to 23, the rest to 59.
    let mut parts = 0;
    for (i, p) in s.split(|&c| c == b':').enumerate() {
        let ok_len = if i == 0 {
            (1..=2).contains(&p.len())
        } else {
            p.len() == 2
        };
        let most = if i == 0 { 23 } else { 59 };
        let ok = i < 3
            && ok_len
            && p.iter().all(u8::is_ascii_digit)
            && p.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0')) <= most;
        if !ok {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

fn parse_day(s: &str) -> Option<u8> {
    let lower = lowered(s.trim_end_matches(','));
    let digits = lower
        .strip_suffix("st")
        .or_else(|| lower.strip_suffix("nd"))
        .or_else(|| lower.strip_suffix("rd"))
        .or_else(|| lower.strip_suffix("th"))
        .unwrap_or(&lower);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u8>().ok().filter(|d| (1..=31).contains(d))
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && s.parse::<u16>().is_ok_and(|y| (1900..=2100).contains(&y))
}

fn is_zip(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10
            && b.get(5) == Some(&b'-')
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 5 || c.is_ascii_digit()))
}

fn is_uk_postcode(outward: &str, inward: &str) -> bool {
    let o = outward.as_bytes();
    let i = inward.as_bytes();
    (2..=4).contains(&o.len())
        && o.first().is_some_and(u8::is_ascii_uppercase)
        && o.iter().any(u8::is_ascii_digit)
        && o.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && i.len() == 3
        && i.first().is_some_and(u8::is_ascii_digit)
        && i.iter().skip(1).all(u8::is_ascii_uppercase)
}

fn is_mc(b: &[u8]) -> bool {
    // McDonald, MacArthur, O'Neil, DeVries
    (b.starts_with(b"Mc") || b.starts_with(b"Mac") || b.starts_with(b"O'") || b.starts_with(b"De"))
        && b.iter().all(|c| c.is_ascii_alphabetic() || *c == b'\'')
}

/// `djohnson`, `smcdonald`: an initial and a surname, lowercase.
fn handle_of_name(names: &Names, word: &str) -> bool {
    word.len() >= 6
        && word.bytes().all(|c| c.is_ascii_lowercase())
        && word.get(1..).is_some_and(|rest| names.is_last(rest))
}

/// A handle as people pick them: lowercase letters and digits with `.`, `_`
/// or `-`, and at least one digit or separator (`jdoe42`, `gunbir.rajan`).
fn username_like(word: &str) -> bool {
    let b = word.as_bytes();
    (3..=32).contains(&b.len())
        && b.first().is_some_and(u8::is_ascii_lowercase)
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
        && b.iter().any(|c| c.is_ascii_digit() || b"._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::{Hit, Keywords, split_words};

    fn spans(hits: &[Hit]) -> Vec<(usize, usize, usize)> {
        hits.iter().map(|h| (h.start, h.end, h.id)).collect()
    }

    /// The word splitter finds the keywords [`Keywords::find`] finds, with
    /// the built-in keywords (where the word tables skip most words) and with
    /// custom ones (where they cannot).
    #[test]
    fn splitter_finds_the_same_keywords() {
        let texts = [
            "My credit card number is 4111; card numbers differ. (Phone) \"SSN\": x",
            "customer_ssn: 123-45-6789, SSN#, ss# 1, a/c 99, swift/bic X, Order #12",
            "Lost passport report: holder Valero; reporter Jo; the passport no. is X",
            "numéro d'assurance sociale 046 454 286 / Zebra, zebra. [Account] number",
            "#ref 12 x#ref 13  ip address 10.0.0.1 (user name: jdoe) password=hunter2",
            "cardholder card-holder pin-code pin code PIN:1234 pw:x DOB: born in 1990",
            "",
            "a",
        ];
        for extra in [vec![], vec!["#ref".to_owned(), "zebra".to_owned()]] {
            let (k, _) = Keywords::new(&extra);
            for text in texts {
                let mut whole = Vec::new();
                k.find(text, &mut whole);
                let mut run_by_run = Vec::new();
                let mut words = Vec::new();
                split_words(text, Some((&k, &mut run_by_run)), &mut words);
                assert_eq!(spans(&run_by_run), spans(&whole), "{text} {extra:?}");
            }
        }
    }
}
