//! Reading and writing tables in the formats `mlguard protect` takes:
//! delimited text, JSON Lines and Parquet.
//!
//! Inside the engine every column is text. Parquet's typed columns are cast
//! to text on reading and, on writing, cast back to their source type when
//! the recipe kept the column's type (noise on an integer stays an
//! integer); a column a step turned into text (`30-39`, a token) is written
//! as text.

use std::io::Write;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::DeidError;
use crate::table::{Table, delimited_batches, read_json_lines_typed};

/// A table file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text; `None` sniffs the delimiter from the header.
    Delimited(Option<u8>),
    JsonLines,
    Parquet,
}

impl Format {
    /// The format a file name says: `.jsonl`/`.ndjson` JSON Lines,
    /// `.parquet`/`.pq` Parquet, anything else delimited text (`.tsv` tab).
    #[must_use]
    pub fn from_path(path: &std::path::Path, delimiter: Option<u8>) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" => Format::JsonLines,
            "parquet" | "pq" => Format::Parquet,
            "tsv" => Format::Delimited(Some(delimiter.unwrap_or(b'\t'))),
            _ => Format::Delimited(delimiter),
        }
    }
}

/// A table read from a file: text columns, and the source schema (typed
/// for Parquet, text otherwise).
#[derive(Debug, Clone)]
pub struct Input {
    pub table: Table,
    pub source: Arc<Schema>,
    /// The delimiter of delimited text, to write the output alike.
    pub delimiter: u8,
}

/// Reads a whole table from a file.
pub fn read(file: std::fs::File, format: Format) -> Result<Input, DeidError> {
    let mut batches = open_batches(file, format)?;
    let all = batches.by_ref().collect::<Result<Vec<_>, _>>()?;
    Ok(Input {
        table: Table {
            schema: batches.schema.clone(),
            batches: all,
        },
        source: batches.source.clone(),
        delimiter: batches.delimiter,
    })
}

/// Batches of a table as they are read: text columns, the source schema.
pub struct BatchReader {
    batches: Box<dyn Iterator<Item = Result<RecordBatch, DeidError>> + Send>,
    /// The text schema of every batch.
    pub schema: Arc<Schema>,
    /// The source's schema (typed for Parquet).
    pub source: Arc<Schema>,
    /// The delimiter of delimited text, to write the output alike.
    pub delimiter: u8,
}

impl std::fmt::Debug for BatchReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BatchReader({} columns)", self.schema.fields().len())
    }
}

impl Iterator for BatchReader {
    type Item = Result<RecordBatch, DeidError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.batches.next()
    }
}

/// Opens a file for reading batch by batch: delimited text and Parquet
/// stream (64 Ki records at a time); JSON Lines is read whole first, since
/// its columns are known only once every line is.
pub fn open_batches(file: std::fs::File, format: Format) -> Result<BatchReader, DeidError> {
    match format {
        Format::Delimited(d) => {
            let (schema, delimiter, batches) = delimited_batches(file, d)?;
            Ok(BatchReader {
                batches,
                source: schema.clone(),
                schema,
                delimiter,
            })
        }
        Format::JsonLines => {
            let (table, source) =
                read_json_lines_typed(std::io::BufReader::with_capacity(1 << 20, file))?;
            Ok(BatchReader {
                schema: table.schema.clone(),
                source,
                batches: Box::new(table.batches.into_iter().map(Ok)),
                delimiter: b',',
            })
        }
        Format::Parquet => {
            // The parquet crate can panic on corrupt metadata or pages (an
            // `unwrap` in its Thrift decoder, a division by zero in a page
            // decoder): such a file is refused as corrupt, not a crash.
            let corrupt = || DeidError::Input(CORRUPT_PARQUET.to_owned());
            let builder = std::panic::catch_unwind(|| {
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            })
            .map_err(|_| corrupt())?
            .map_err(|e| DeidError::Input(format!("not a Parquet file: {e}")))?;
            let source = builder.schema().clone();
            check_flat(&source)?;
            let reader = builder
                .with_batch_size(64 * 1024)
                .build()
                .map_err(|e| DeidError::Input(format!("Parquet: {e}")))?;
            let schema = text_schema(&source);
            let out = schema.clone();
            let mut reader = Some(reader);
            let batches = std::iter::from_fn(move || {
                let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    reader.as_mut().and_then(Iterator::next)
                }));
                match next {
                    Ok(batch) => batch.map(|batch| {
                        let batch = batch.map_err(|e| DeidError::Input(format!("Parquet: {e}")))?;
                        to_text(&batch, &out)
                    }),
                    Err(_) => {
                        // (After a panic the reader's state is unknown: no more.)
                        reader = None;
                        Some(Err(corrupt()))
                    }
                }
            });
            Ok(BatchReader {
                batches: Box::new(batches),
                schema,
                source,
                delimiter: b',',
            })
        }
    }
}

/// A Parquet file the parquet crate panicked on.
const CORRUPT_PARQUET: &str =
    "not a Parquet file mlguard can read: its parser failed on corrupt data";

fn text_schema(source: &Schema) -> Arc<Schema> {
    Arc::new(Schema::new(
        source
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

fn check_flat(source: &Schema) -> Result<(), DeidError> {
    for f in source.fields() {
        if matches!(
            f.data_type(),
            DataType::Struct(_)
                | DataType::List(_)
                | DataType::LargeList(_)
                | DataType::Map(..)
                | DataType::FixedSizeList(..)
        ) {
            return Err(DeidError::Input(format!(
                "column {:?} is nested ({}); flatten it first",
                f.name(),
                f.data_type()
            )));
        }
    }
    Ok(())
}

fn to_text(batch: &RecordBatch, schema: &Arc<Schema>) -> Result<RecordBatch, DeidError> {
    let columns = batch
        .columns()
        .iter()
        .map(|c| arrow_cast::cast(c, &DataType::Utf8))
        .collect::<Result<Vec<ArrayRef>, _>>()
        .map_err(|e| DeidError::Input(format!("Parquet: {e}")))?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| DeidError::Input(e.to_string()))
}

enum Sink<W: Write + Send> {
    Csv(Box<arrow_csv::Writer<W>>, bool),
    Json(std::io::BufWriter<W>, Vec<(String, bool)>, String),
    Parquet(Box<parquet::arrow::ArrowWriter<W>>, Arc<Schema>),
}

/// Writes batches of text columns in a format as they come.
pub struct BatchWriter<W: Write + Send> {
    sink: Sink<W>,
    text: Arc<Schema>,
}

impl<W: Write + Send> std::fmt::Debug for BatchWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BatchWriter({} columns)", self.text.fields().len())
    }
}

fn write_error(e: &dyn std::fmt::Display) -> DeidError {
    DeidError::Input(format!("writing: {e}"))
}

impl<W: Write + Send> BatchWriter<W> {
    /// A writer for batches of `text` (the output's columns). For Parquet,
    /// each column named in `typed` is written with its `source` type
    /// (a value that does not convert is an error); the others as text.
    pub fn new(
        format: Format,
        delimiter: u8,
        text: Arc<Schema>,
        source: &Schema,
        typed: &[String],
        writer: W,
    ) -> Result<Self, DeidError> {
        let sink = match format {
            Format::Delimited(d) => Sink::Csv(
                Box::new(
                    arrow_csv::WriterBuilder::new()
                        .with_header(true)
                        .with_delimiter(d.unwrap_or(delimiter))
                        .build(writer),
                ),
                false,
            ),
            Format::JsonLines => Sink::Json(
                std::io::BufWriter::with_capacity(1 << 20, writer),
                text.fields()
                    .iter()
                    .map(|f| {
                        // Numbers and booleans are written bare only where
                        // the source held them so and the steps kept them.
                        let bare = typed.contains(f.name())
                            && source.field_with_name(f.name()).is_ok_and(|s| {
                                s.data_type().is_numeric() || s.data_type() == &DataType::Boolean
                            });
                        (serde_json::to_string(f.name()).unwrap_or_default(), bare)
                    })
                    .collect(),
                String::new(),
            ),
            Format::Parquet => {
                let fields: Vec<Field> = text
                    .fields()
                    .iter()
                    .map(|f| {
                        match source
                            .field_with_name(f.name())
                            .map(|s| s.data_type().clone())
                        {
                            Ok(t) if t != DataType::Utf8 && typed.contains(f.name()) => {
                                Field::new(f.name(), t, true)
                            }
                            _ => Field::new(f.name(), DataType::Utf8, true),
                        }
                    })
                    .collect();
                let schema = Arc::new(Schema::new(fields));
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                let w = parquet::arrow::ArrowWriter::try_new(writer, schema.clone(), Some(props))
                    .map_err(|e| write_error(&e))?;
                Sink::Parquet(Box::new(w), schema)
            }
        };
        Ok(BatchWriter { sink, text })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), DeidError> {
        match &mut self.sink {
            Sink::Csv(w, wrote) => {
                *wrote = true;
                w.write(batch).map_err(|e| write_error(&e))
            }
            Sink::Json(w, names, line) => {
                let arrays: Vec<&StringArray> = (0..batch.num_columns())
                    .map(|i| {
                        batch
                            .column(i)
                            .as_any()
                            .downcast_ref::<StringArray>()
                            .ok_or_else(|| write_error(&"columns are text"))
                    })
                    .collect::<Result<_, _>>()?;
                for r in 0..batch.num_rows() {
                    line.clear();
                    line.push('{');
                    for (i, ((name, bare), a)) in names.iter().zip(&arrays).enumerate() {
                        if i > 0 {
                            line.push(',');
                        }
                        line.push_str(name);
                        line.push(':');
                        if a.is_null(r) {
                            line.push_str("null");
                        } else {
                            json_value(a.value(r), *bare, line);
                        }
                    }
                    line.push_str("}\n");
                    w.write_all(line.as_bytes()).map_err(|e| write_error(&e))?;
                }
                Ok(())
            }
            Sink::Parquet(w, schema) => {
                let options = arrow_cast::CastOptions {
                    safe: false,
                    ..Default::default()
                };
                let columns = batch
                    .columns()
                    .iter()
                    .zip(schema.fields())
                    .map(|(c, f)| {
                        arrow_cast::cast_with_options(c, f.data_type(), &options).map_err(|_| {
                            write_error(&format!(
                                "a value of column {:?} does not convert back to {}",
                                f.name(),
                                f.data_type()
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let batch =
                    RecordBatch::try_new(schema.clone(), columns).map_err(|e| write_error(&e))?;
                w.write(&batch).map_err(|e| write_error(&e))
            }
        }
    }

    /// Completes the file (a header for an empty delimited table, the
    /// Parquet footer).
    pub fn finish(self) -> Result<(), DeidError> {
        match self.sink {
            Sink::Csv(mut w, wrote) => {
                if !wrote {
                    w.write(&RecordBatch::new_empty(self.text.clone()))
                        .map_err(|e| write_error(&e))?;
                }
                Ok(())
            }
            Sink::Json(mut w, _, _) => w.flush().map_err(|e| write_error(&e)),
            Sink::Parquet(w, _) => w.close().map(|_| ()).map_err(|e| write_error(&e)),
        }
    }
}

/// Writes a whole `table` in `format`. For Parquet, columns named in
/// `type_preserving` are written with their `source` type when every value
/// converts; others are text.
pub fn write<W: Write + Send>(
    table: &Table,
    format: Format,
    delimiter: u8,
    source: &Schema,
    type_preserving: &[String],
    writer: W,
) -> Result<(), DeidError> {
    let typed: Vec<String> = type_preserving
        .iter()
        .filter(|name| {
            source
                .field_with_name(name)
                .is_ok_and(|f| castable(table, name, f.data_type()))
        })
        .cloned()
        .collect();
    let mut w = BatchWriter::new(
        format,
        delimiter,
        table.schema.clone(),
        source,
        &typed,
        writer,
    )?;
    for b in &table.batches {
        w.write(b)?;
    }
    w.finish()
}

/// Whether every value of a text column converts to `to`.
fn castable(table: &Table, name: &str, to: &DataType) -> bool {
    let Ok(index) = table.schema.index_of(name) else {
        return false;
    };
    let options = arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    };
    table
        .batches
        .iter()
        .all(|b| arrow_cast::cast_with_options(b.column(index), to, &options).is_ok())
}

/// A JSON value for a text cell: bare (a number or boolean as JSON writes
/// it) when the column may be and the text is one, else a string.
fn json_value(v: &str, bare: bool, out: &mut String) {
    let is_bare = bare
        && (matches!(v, "true" | "false")
            || (v
                .bytes()
                .next()
                .is_some_and(|b| b == b'-' || b.is_ascii_digit())
                && serde_json::from_str::<serde_json::Number>(v).is_ok()));
    if is_bare {
        out.push_str(v);
    } else {
        out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
    }
}
