//! A table version's rows, staged as one Parquet file for DuckDB.
//!
//! The kernel's scan reads each active file, drops the rows its deletion vector names, and
//! gives the rows back with the table's column names and its partition values filled in.
//! Batches stream into the file as they come, so memory holds one row group, not the table.
//! The file's schema is the table's (every column nullable, field metadata dropped), and an
//! empty file with that schema is what a run describes before it reads, so the columns
//! checked for drift are the columns loaded.

use std::path::Path;
use std::sync::Arc;

use delta_kernel::arrow::array::{Array, RecordBatch, StringArray};
use delta_kernel::arrow::compute::kernels::cmp::eq;
use delta_kernel::arrow::compute::{cast, filter_record_batch};
use delta_kernel::arrow::datatypes::{DataType as ArrowType, Field, Schema, SchemaRef};
use delta_kernel::engine::arrow_conversion::TryFromKernel;
use delta_kernel::engine::arrow_data::ArrowEngineData;
use delta_kernel::expressions::{Expression, Predicate, Scalar};
use delta_kernel::parquet::arrow::ArrowWriter;
use delta_kernel::parquet::basic::Compression;
use delta_kernel::parquet::file::properties::WriterProperties;
use delta_kernel::schema::DataType;

use super::Table;
use crate::error::{Error, Result};

/// One company's rows of a table holding every company's: those whose `column` reads as
/// `value` (the column cast to text, so a numeric company id matches too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub column: String,
    pub value: String,
    /// The setting that named the column, for messages.
    pub setting: String,
}

/// Rows per row group: small enough that a wide table's group fits in memory several times
/// over, large enough for DuckDB to read in parallel.
const ROW_GROUP: usize = 122_880;

impl Table {
    /// The table's columns as the staged file has them.
    pub fn arrow_schema(&self) -> Result<SchemaRef> {
        let schema = self.snapshot.schema();
        let arrow = Schema::try_from_kernel(schema.as_ref()).map_err(|e| {
            Error::Runtime(format!(
                "the Delta table {} has a column type assay cannot read: {e}",
                self.path.display()
            ))
        })?;
        let fields: Vec<Field> = arrow
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect();
        Ok(Arc::new(Schema::new(fields)))
    }

    /// The rows of this version (one company's, with `filter`) into the Parquet file `path`;
    /// the rows written. `cancelled` is asked between batches; `on_rows` hears the count.
    pub fn stage(
        &self,
        path: &Path,
        filter: Option<&Filter>,
        cancelled: &dyn Fn() -> bool,
        on_rows: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        let schema = self.arrow_schema()?;
        let position = filter.map(|f| self.column_of(&schema, f)).transpose()?;
        let mut scan = self.snapshot.clone().scan_builder();
        if let Some(f) = filter.filter(|f| self.is_text(&f.column)) {
            // Skips files whose partition value or statistics rule the company out; the rows
            // are still filtered below, since skipping is best-effort.
            let predicate = Predicate::eq(
                Expression::column([f.column.as_str()]),
                Expression::literal(Scalar::String(f.value.clone())),
            );
            scan = scan.with_predicate(Arc::new(predicate));
        }
        let scan = scan.build().map_err(|e| self.unreadable(e))?;
        let file = std::fs::File::create(path)
            .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::UNCOMPRESSED)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .build();
        let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
        let engine: Arc<dyn delta_kernel::Engine> = self.engine.clone();
        let mut rows = 0u64;
        for data in scan.execute(engine).map_err(|e| self.unreadable(e))? {
            if cancelled() {
                return Err(Error::Cancelled);
            }
            let data = data.map_err(|e| self.unreadable(e))?;
            let batch: RecordBatch = ArrowEngineData::try_from_engine_data(data)
                .map_err(|e| self.unreadable(e))?
                .into();
            let batch = match (filter, position) {
                (Some(f), Some(i)) => keep_company(&batch, i, &f.value)?,
                _ => batch,
            };
            let batch = conform(batch, &schema)?;
            writer
                .write(&batch)
                .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
            rows += batch.num_rows() as u64;
            on_rows(rows);
        }
        writer
            .close()
            .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
        Ok(rows)
    }

    /// The filter's column is one of the table's (at this version).
    pub fn check(&self, f: &Filter) -> Result<()> {
        self.column_of(self.arrow_schema()?.as_ref(), f).map(|_| ())
    }

    fn column_of(&self, schema: &Schema, f: &Filter) -> Result<usize> {
        schema.index_of(&f.column).map_err(|_| {
            Error::Usage(format!(
                "{}: the Delta table {} (version {}) has no column `{}`; it has: {}",
                f.setting,
                self.path.display(),
                self.version(),
                f.column,
                schema
                    .fields()
                    .iter()
                    .map(|c| c.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    fn is_text(&self, column: &str) -> bool {
        self.snapshot
            .schema()
            .field(column)
            .is_some_and(|f| f.data_type() == &DataType::STRING)
    }

    fn unreadable(&self, e: delta_kernel::Error) -> Error {
        Error::Runtime(format!(
            "cannot read version {} of the Delta table {}: {e}",
            self.version(),
            self.path.display()
        ))
    }
}

impl Table {
    /// The rows (the company's, with `filter`) staged into a scratch file of `role` in
    /// `dir`, removed when the last reader of it is dropped. Ctrl-C ends the staging.
    pub fn stage_scratch(
        &self,
        dir: &Path,
        role: &str,
        filter: Option<&Filter>,
    ) -> Result<crate::store::scratch::Scratch> {
        let file = crate::store::scratch::Scratch::new(dir, role)
            .map_err(|e| Error::Runtime(format!("cannot write beside the cache: {e}")))?;
        let cancel = crate::cancel::process();
        self.stage(file.path(), filter, &|| cancel.is_cancelled(), &mut |_| {})?;
        Ok(file)
    }
}

/// The DuckDB relation reading a staged file.
pub fn parquet_relation(path: &Path) -> String {
    format!(
        "read_parquet({})",
        crate::sql::literal(&path.to_string_lossy())
    )
}

/// An empty Parquet file with the staged file's columns: what DuckDB describes before a run
/// reads the table.
pub fn write_schema(table: &Table, path: &Path) -> Result<()> {
    let schema = table.arrow_schema()?;
    let file = std::fs::File::create(path)
        .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
    let writer = ArrowWriter::try_new(file, schema, None)
        .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
    writer
        .close()
        .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// The rows whose column `i`, read as text, is `value`.
fn keep_company(batch: &RecordBatch, i: usize, value: &str) -> Result<RecordBatch> {
    let arrow = |e: delta_kernel::arrow::error::ArrowError| Error::Runtime(e.to_string());
    let text = cast(batch.column(i), &ArrowType::Utf8).map_err(arrow)?;
    let mask = eq(&text, &StringArray::new_scalar(value)).map_err(arrow)?;
    filter_record_batch(batch, &mask).map_err(arrow)
}

/// The batch under the file's schema: the same columns, named and typed as the table is, so
/// a batch whose field metadata or nullability differs is still written.
fn conform(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let arrow = |e: delta_kernel::arrow::error::ArrowError| Error::Runtime(e.to_string());
    let columns = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else {
                cast(column, field.data_type()).map_err(arrow)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(arrow)
}
