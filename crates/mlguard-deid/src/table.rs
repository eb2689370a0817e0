//! Tables as Arrow record batches: reading delimited text (CSV, `;`- or
//! tab-separated) with every column as text, so that what a record says is
//! what the engine sees — types are the recipe's business, not a guess from
//! the first rows.

use std::io::{BufRead, BufReader, Read, Seek};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::DeidError;

/// A table: its schema and batches.
#[derive(Debug, Clone)]
pub struct Table {
    pub schema: Arc<Schema>,
    pub batches: Vec<RecordBatch>,
}

impl Table {
    /// Records in all batches.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// A column's index, or an error naming the columns there are.
    pub fn column(&self, name: &str) -> Result<usize, DeidError> {
        self.schema.index_of(name).map_err(|_| {
            DeidError::Input(format!(
                "no column {name:?}; the columns are {}",
                self.schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// A text column of every batch.
    pub fn text_column(&self, index: usize) -> Result<Vec<&StringArray>, DeidError> {
        self.batches
            .iter()
            .map(|b| {
                b.column(index)
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .ok_or_else(|| {
                        DeidError::Input(format!(
                            "column {} is {}, not text",
                            self.schema.field(index).name(),
                            b.column(index).data_type()
                        ))
                    })
            })
            .collect()
    }
}

/// The delimiter a header line uses: the most frequent of `,`, `;`, tab, `|`.
#[must_use]
pub fn sniff_delimiter(header: &str) -> u8 {
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let n = header.bytes().filter(|b| *b == d).count();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// Delimited text as it is read, 64 Ki records per batch: the text schema
/// from the header, the delimiter (sniffed from the header when `None`),
/// and the batches. A header naming a column twice is refused; a record
/// with the wrong field count is an error naming its line.
pub type DelimitedBatches = (
    Arc<Schema>,
    u8,
    Box<dyn Iterator<Item = Result<RecordBatch, DeidError>> + Send>,
);

/// Opens delimited text for reading batch by batch (see [`DelimitedBatches`]).
pub fn delimited_batches<R: Read + Seek + Send + 'static>(
    mut reader: R,
    delimiter: Option<u8>,
) -> Result<DelimitedBatches, DeidError> {
    let io = |e: std::io::Error| DeidError::Input(e.to_string());
    let mut first = String::new();
    BufReader::new(&mut reader)
        .read_line(&mut first)
        .map_err(io)?;
    reader.rewind().map_err(io)?;
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&first));
    // A quote opened and never closed takes every later line into one cell,
    // where no masking step looks for them: refused, not read.
    if let Some(line) = unterminated_quote(&mut reader, delimiter).map_err(io)? {
        return Err(DeidError::Input(format!(
            "line {line}: a quoted field is never closed (it would swallow the rest of the file)"
        )));
    }
    reader.rewind().map_err(io)?;
    let format = arrow_csv::reader::Format::default()
        .with_header(true)
        .with_delimiter(delimiter);
    let (inferred, _) = format
        .infer_schema(std::io::Cursor::new(first.as_bytes()), Some(0))
        .map_err(|e| DeidError::Input(format!("the header: {e}")))?;
    let mut seen = std::collections::HashSet::new();
    for f in inferred.fields() {
        if !seen.insert(f.name().clone()) {
            return Err(DeidError::Input(format!(
                "column {:?} appears twice in the header",
                f.name()
            )));
        }
    }
    let schema = Arc::new(Schema::new(
        inferred
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let csv = arrow_csv::ReaderBuilder::new(schema.clone())
        .with_header(true)
        .with_delimiter(delimiter)
        .with_batch_size(64 * 1024)
        .build(BufReader::with_capacity(1 << 20, reader))
        .map_err(|e| DeidError::Input(e.to_string()))?;
    // arrow-csv names the line of a record with the wrong field count.
    let batches = csv.map(|b| b.map_err(|e| DeidError::Input(e.to_string())));
    Ok((schema, delimiter, Box::new(batches)))
}

/// The line where a quoted field opens that is still open at the end of the
/// input, read as the CSV reader reads it: a quote opens a field only at the
/// field's start, `""` inside one is a quote, and anything after a closing
/// quote up to the delimiter belongs to the field.
fn unterminated_quote<R: Read>(reader: R, delimiter: u8) -> std::io::Result<Option<u64>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut line = 1u64;
    let mut opened = 1u64;
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            state = match (state, b) {
                (State::FieldStart, b'"') => {
                    opened = line;
                    State::Quoted
                }
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (State::Quoted, _) => State::Quoted,
                (_, b) if b == delimiter || b == b'\n' || b == b'\r' => State::FieldStart,
                _ => State::Unquoted,
            };
            if b == b'\n' {
                line += 1;
            }
        }
        let n = buf.len();
        reader.consume(n);
    }
    Ok((state == State::Quoted).then_some(opened))
}

/// Reads delimited text with a header row; `delimiter` `None` sniffs it from
/// the header. Every column is text (nullable: an empty field is null).
pub fn read_delimited<R: Read + Seek + Send + 'static>(
    reader: R,
    delimiter: Option<u8>,
) -> Result<Table, DeidError> {
    let (schema, _, batches) = delimited_batches(reader, delimiter)?;
    Ok(Table {
        schema,
        batches: batches.collect::<Result<_, _>>()?,
    })
}

/// Reads JSON Lines: one object per line (blank lines skipped), columns in
/// the order lines introduce them (alphabetical within a line), every value as text — strings as they are,
/// numbers and booleans as JSON writes them, nested values as compact JSON,
/// null or a missing key as null. A line that is not an object is an error
/// naming it.
pub fn read_json_lines<R: BufRead>(reader: R) -> Result<Table, DeidError> {
    read_json_lines_typed(reader).map(|(table, _)| table)
}

/// [`read_json_lines`], with the JSON types the columns held: `Int64` when
/// every value was an integer, `Float64` when every value was a number,
/// `Boolean` when every value was true or false, else `Utf8` (nulls do
/// not count). Writers use it to write numbers back as numbers.
pub fn read_json_lines_typed<R: BufRead>(reader: R) -> Result<(Table, Arc<Schema>), DeidError> {
    let mut names: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut columns: Vec<Vec<Option<String>>> = Vec::new();
    let mut rows = 0usize;
    let mut kinds: Vec<u8> = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| DeidError::Input(format!("line {}: {e}", i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        let serde_json::Value::Object(record) = serde_json::from_str(&line)
            .map_err(|e| DeidError::Input(format!("line {}: not JSON: {e}", i + 1)))?
        else {
            return Err(DeidError::Input(format!(
                "line {}: not a JSON object",
                i + 1
            )));
        };
        for (k, v) in record {
            let c = match index.get(&k) {
                Some(&c) => c,
                None => {
                    index.insert(k.clone(), names.len());
                    names.push(k);
                    columns.push(vec![None; rows]);
                    names.len() - 1
                }
            };
            if kinds.len() <= c {
                kinds.resize(c + 1, 0u8);
            }
            if let Some(k) = kinds.get_mut(c) {
                *k |= match &v {
                    serde_json::Value::Null => 0,
                    serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => 1,
                    serde_json::Value::Number(_) => 2,
                    serde_json::Value::Bool(_) => 4,
                    _ => 8,
                };
            }
            let text = match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            };
            if let Some(col) = columns.get_mut(c) {
                col.push(text);
            }
        }
        rows += 1;
        for col in &mut columns {
            col.resize(rows, None);
        }
    }
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let arrays: Vec<arrow_array::ArrayRef> = columns
        .into_iter()
        .map(|c| Arc::new(StringArray::from(c)) as arrow_array::ArrayRef)
        .collect();
    let batches = if names.is_empty() {
        Vec::new()
    } else {
        vec![
            RecordBatch::try_new(schema.clone(), arrays)
                .map_err(|e| DeidError::Input(e.to_string()))?,
        ]
    };
    let source = Arc::new(Schema::new(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let t = match kinds.get(i).copied().unwrap_or(0) {
                    1 => DataType::Int64,
                    2 | 3 => DataType::Float64,
                    4 => DataType::Boolean,
                    _ => DataType::Utf8,
                };
                Field::new(n, t, true)
            })
            .collect::<Vec<_>>(),
    ));
    Ok((Table { schema, batches }, source))
}
