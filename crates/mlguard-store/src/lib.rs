//! mlguard's durable state: one SQLite database in WAL mode with synchronous
//! commits, so a write acknowledged to a client survives `kill -9` and power loss.
//!
//! The model is a small document store: every record is `(kind, id)` → a JSON
//! document, an optional opaque `sealed` blob (key material and secrets, sealed by
//! the caller with the root key before they arrive here), and the account it
//! belongs to. Services keep their working set in memory, load it at start, and
//! write through a transaction here before changing memory. That keeps the schema
//! stable across services and makes a second backend (PostgreSQL for several nodes)
//! a matter of this one crate.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

/// The migrations, in order. `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: records and metadata.
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY,
         value TEXT NOT NULL
     );
     CREATE TABLE records (
         kind    TEXT NOT NULL,
         id      TEXT NOT NULL,
         account TEXT NOT NULL DEFAULT '',
         doc     TEXT NOT NULL,
         sealed  BLOB,
         updated INTEGER NOT NULL,
         PRIMARY KEY (kind, id)
     ) WITHOUT ROWID;
     CREATE INDEX records_by_account ON records (kind, account, id);",
];

/// What can go wrong with storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer mlguard.
    #[error("database schema version {found} is newer than this mlguard understands ({known})")]
    TooNew {
        /// The version found.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A lock was poisoned by a panic elsewhere.
    #[error("database lock poisoned")]
    Poisoned,
}

/// Result with [`StoreError`].
pub type Result<T> = std::result::Result<T, StoreError>;

/// One stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's kind, e.g. `kms.key`.
    pub kind: String,
    /// The record's id within its kind.
    pub id: String,
    /// The owning account ('' when global).
    pub account: String,
    /// The JSON document.
    pub doc: String,
    /// Sealed secret bytes, if any.
    pub sealed: Option<Vec<u8>>,
    /// Unix seconds of the last write.
    pub updated: i64,
}

/// The database.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and runs migrations.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// An in-memory database, for tests and emulation.
    pub fn in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store> {
        // WAL lets readers run beside the writer; FULL makes each commit durable
        // before it returns, which is what "acknowledged" must mean.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let store = Store {
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.lock()?;
        let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if current > known {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        for (index, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(current).unwrap_or(0))
        {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(index + 1).unwrap_or(i64::MAX),
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .lock()?
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Runs `f` in one transaction, committed (durably) only if `f` succeeds.
    pub fn transaction<T, E>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(StoreError::from)?;
        let value = f(&Tx { tx: &tx })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Every record of a kind, ordered by id.
    pub fn load_all(&self, kind: &str) -> Result<Vec<Record>> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT kind, id, account, doc, sealed, updated FROM records WHERE kind = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![kind], row_to_record)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One record.
    pub fn get(&self, kind: &str, id: &str) -> Result<Option<Record>> {
        let conn = self.lock()?;
        get_with(&conn, kind, id)
    }

    /// A metadata value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let conn = self.lock()?;
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a metadata value (its own durable transaction).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.transaction(|tx| tx.set_meta(key, value))
    }

    /// Deletes every record whose kind starts with one of `prefixes` (emulation's
    /// reset of service data), in one transaction. Metadata and the records of
    /// other kinds — the server's own identity and audit signer — are kept.
    pub fn wipe_kinds(&self, prefixes: &[&str]) -> Result<()> {
        self.transaction(|tx| {
            for prefix in prefixes {
                tx.tx.execute(
                    "DELETE FROM records WHERE substr(kind, 1, ?2) = ?1",
                    params![
                        prefix,
                        i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX)
                    ],
                )?;
            }
            Ok(())
        })
    }
}

/// An open transaction.
pub struct Tx<'c> {
    tx: &'c rusqlite::Transaction<'c>,
}

impl Tx<'_> {
    /// Inserts or replaces a record.
    pub fn put(
        &self,
        kind: &str,
        id: &str,
        account: &str,
        doc: &str,
        sealed: Option<&[u8]>,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO records (kind, id, account, doc, sealed, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (kind, id) DO UPDATE SET account = ?3, doc = ?4, sealed = ?5, updated = ?6",
            )?
            .execute(params![kind, id, account, doc, sealed, now])?;
        Ok(())
    }

    /// Deletes a record; true if it existed.
    pub fn delete(&self, kind: &str, id: &str) -> Result<bool> {
        let n = self
            .tx
            .prepare_cached("DELETE FROM records WHERE kind = ?1 AND id = ?2")?
            .execute(params![kind, id])?;
        Ok(n > 0)
    }

    /// Deletes every record of a kind whose id starts with `prefix`.
    pub fn delete_prefix(&self, kind: &str, prefix: &str) -> Result<usize> {
        let n = self
            .tx
            .prepare_cached(
                "DELETE FROM records WHERE kind = ?1 AND substr(id, 1, length(?2)) = ?2",
            )?
            .execute(params![kind, prefix])?;
        Ok(n)
    }

    /// Reads a record inside the transaction.
    pub fn get(&self, kind: &str, id: &str) -> Result<Option<Record>> {
        get_with(self.tx, kind, id)
    }

    /// Sets a metadata value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2")?
            .execute(params![key, value])?;
        Ok(())
    }
}

fn get_with(conn: &Connection, kind: &str, id: &str) -> Result<Option<Record>> {
    Ok(conn
        .prepare_cached("SELECT kind, id, account, doc, sealed, updated FROM records WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind, id], row_to_record)
        .optional()?)
}

fn row_to_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        kind: r.get(0)?,
        id: r.get(1)?,
        account: r.get(2)?,
        doc: r.get(3)?,
        sealed: r.get(4)?,
        updated: r.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_reopen_and_transactions_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let s = Store::open(&path).unwrap();
            assert_eq!(s.schema_version().unwrap(), 1);
            s.transaction(|tx| -> Result<()> {
                tx.put(
                    "kms.key",
                    "k1",
                    "111122223333",
                    r#"{"a":1}"#,
                    Some(b"sealed"),
                    5,
                )?;
                tx.set_meta("account_id", "111122223333")
            })
            .unwrap();
            // A failing transaction leaves nothing behind.
            let failed: std::result::Result<(), StoreError> = s.transaction(|tx| {
                tx.put("kms.key", "k2", "", "{}", None, 6)?;
                Err(StoreError::Poisoned)
            });
            assert!(failed.is_err());
        }
        let s = Store::open(&path).unwrap();
        let all = s.load_all("kms.key").unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].sealed.as_deref(), Some(&b"sealed"[..]));
        assert_eq!(
            s.meta("account_id").unwrap().as_deref(),
            Some("111122223333")
        );
        let mode: String = s
            .lock()
            .unwrap()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        s.transaction(|tx| tx.delete_prefix("kms.key", "k"))
            .unwrap();
        assert!(s.load_all("kms.key").unwrap().is_empty());
    }

    #[test]
    fn wipe_kinds_removes_only_the_named_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("state.db")).unwrap();
        s.transaction(|tx| -> Result<()> {
            tx.put("kms.key", "k1", "a", "{}", None, 1)?;
            tx.put("kms.grant", "g1", "a", "{}", None, 1)?;
            tx.put("kmsx", "x", "a", "{}", None, 1)?;
            tx.put("audit.signer", "s", "a", "{}", Some(b"sealed"), 1)?;
            tx.set_meta("account_id", "a")
        })
        .unwrap();
        s.wipe_kinds(&["kms."]).unwrap();
        assert!(s.load_all("kms.key").unwrap().is_empty());
        assert!(s.load_all("kms.grant").unwrap().is_empty());
        assert_eq!(s.load_all("kmsx").unwrap().len(), 1);
        assert_eq!(s.load_all("audit.signer").unwrap().len(), 1);
        assert_eq!(s.meta("account_id").unwrap().as_deref(), Some("a"));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
