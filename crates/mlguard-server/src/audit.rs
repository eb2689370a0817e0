//! The audit sink: one CloudTrail event per request, handed to a writer thread that
//! owns the hash-chained log, flushes (fsync) every second and writes a signed
//! digest at rotation and shutdown. Requests never wait for the disk.
//!
//! Requests push their events onto a shared queue that the writer drains in batches.
//! Under load nobody wakes anybody: the writer takes everything queued, writes it,
//! and naps for [`BATCH_INTERVAL`]. Only a push onto the queue of an idle writer, or
//! onto a queue past [`WAKE_AT`], signals it; a queue at [`MAX_QUEUED`] makes
//! requests wait for room, so a disk slower than the traffic slows the traffic
//! instead of losing events or memory.

use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mlguard_audit::{AuditLog, AuditOptions, DigestSigner, Event};
use mlguard_crypto::RootKey;
use mlguard_store::Store;

use crate::datadir::DataDirError;

/// How long the writer naps after writing a batch.
const BATCH_INTERVAL: Duration = Duration::from_millis(5);
/// How often written events are made durable.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// A queue this long wakes a napping writer.
const WAKE_AT: usize = 4096;
/// A queue this long makes requests wait.
const MAX_QUEUED: usize = 65_536;

#[derive(Default)]
struct Queue {
    events: Vec<Event>,
    flush_waiters: Vec<mpsc::Sender<()>>,
    stop: bool,
    /// The writer is asleep until signalled (or its flush deadline).
    idle: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signals the writer.
    work: Condvar,
    /// Signals requests waiting for room.
    room: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock cannot leave the queue inconsistent
        // (every change is a single push or take), so poisoning is ignored.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Hands events to the writer thread.
pub struct AuditSink {
    shared: std::sync::Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

const SIGNER_KIND: &str = "audit.signer";

/// Loads (or creates and stores, sealed) the digest signing key.
fn signer(store: &Store, root_key: &RootKey) -> Result<DigestSigner, DataDirError> {
    let purpose = b"audit:digest-signer";
    if let Some(record) = store.get(SIGNER_KIND, "current")? {
        let sealed = record.sealed.unwrap_or_default();
        let pkcs8 = root_key.open(purpose, &sealed)?;
        return DigestSigner::from_pkcs8(&pkcs8)
            .map_err(|e| DataDirError::Invalid(format!("audit signing key: {e}")));
    }
    let (signer, pkcs8) = DigestSigner::generate()
        .map_err(|e| DataDirError::Invalid(format!("audit signing key: {e}")))?;
    let sealed = root_key.seal(purpose, &pkcs8)?;
    let doc = serde_json::json!({ "fingerprint": signer.fingerprint() }).to_string();
    store.transaction(|tx| {
        tx.put(
            SIGNER_KIND,
            "current",
            "",
            &doc,
            Some(&sealed),
            crate::clock::system_now(),
        )
    })?;
    Ok(signer)
}

impl AuditSink {
    /// Opens the log under `dir/audit` and starts the writer thread. The public key
    /// that validates digests is written beside it (`signing-key.der`).
    pub fn start(
        data_dir: &Path,
        store: &Store,
        root_key: &RootKey,
    ) -> Result<AuditSink, DataDirError> {
        let dir = data_dir.join("audit");
        std::fs::create_dir_all(&dir)
            .map_err(|e| DataDirError::Invalid(format!("{}: {e}", dir.display())))?;
        let signer = signer(store, root_key)?;
        std::fs::write(dir.join("signing-key.der"), signer.public_key_der())
            .map_err(|e| DataDirError::Invalid(format!("audit public key: {e}")))?;
        let log = AuditLog::open(&dir, signer, AuditOptions::default())
            .map_err(|e| DataDirError::Invalid(format!("audit log: {e}")))?;
        for torn in &log.open_report().torn_tails {
            tracing::warn!("audit log: a record torn by a crash was removed ({torn:?})");
        }
        let shared = std::sync::Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            room: Condvar::new(),
        });
        let writer_shared = std::sync::Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("mlguard-audit".into())
            .spawn(move || writer(log, &writer_shared))
            .map_err(|e| DataDirError::Invalid(format!("audit thread: {e}")))?;
        Ok(AuditSink {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues an event (waiting for room if the writer is far behind).
    pub fn record(&self, event: Event) {
        let mut queue = self.shared.lock();
        while queue.events.len() >= MAX_QUEUED && !queue.stop {
            self.shared.work.notify_one();
            queue = self
                .shared
                .room
                .wait(queue)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        if queue.stop {
            tracing::error!("audit writer has stopped; an event was not recorded");
            return;
        }
        queue.events.push(event);
        if queue.idle || queue.events.len() == WAKE_AT {
            queue.idle = false;
            self.shared.work.notify_one();
        }
    }

    /// Waits until every queued event is on disk.
    pub fn flush(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        {
            let mut queue = self.shared.lock();
            if queue.stop {
                return;
            }
            queue.flush_waiters.push(done_tx);
            queue.idle = false;
            self.shared.work.notify_one();
        }
        let _ = done_rx.recv_timeout(Duration::from_secs(10));
    }

    /// Flushes, writes a final digest and stops the writer; later events are dropped.
    pub fn stop(&self) {
        {
            let mut queue = self.shared.lock();
            queue.stop = true;
            self.shared.work.notify_one();
            self.shared.room.notify_all();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = handle {
            let _ = t.join();
        }
    }
}

impl Drop for AuditSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn writer(mut log: AuditLog, shared: &Shared) {
    let mut dirty = false;
    let mut last_flush = Instant::now();
    let mut batch = Vec::new();
    loop {
        let (waiters, stop) = {
            let mut queue = shared.lock();
            if queue.events.is_empty() && queue.flush_waiters.is_empty() && !queue.stop {
                // Nothing to do: sleep until signalled, or until written events are
                // due to be made durable.
                queue.idle = true;
                let wait = if dirty {
                    FLUSH_INTERVAL.saturating_sub(last_flush.elapsed())
                } else {
                    Duration::from_secs(3600)
                };
                queue = shared
                    .work
                    .wait_timeout(queue, wait)
                    .map(|(q, _)| q)
                    .unwrap_or_else(|e| e.into_inner().0);
                queue.idle = false;
            }
            std::mem::swap(&mut batch, &mut queue.events);
            if !batch.is_empty() {
                shared.room.notify_all();
            }
            (std::mem::take(&mut queue.flush_waiters), queue.stop)
        };
        for event in batch.drain(..) {
            if let Err(e) = log.append(&event) {
                tracing::error!("audit append failed: {e}");
            }
            dirty = true;
        }
        if stop {
            break;
        }
        if !waiters.is_empty() || (dirty && last_flush.elapsed() >= FLUSH_INTERVAL) {
            if let Err(e) = log.flush() {
                tracing::error!("audit flush failed: {e}");
            }
            dirty = false;
            last_flush = Instant::now();
        }
        for done in waiters {
            let _ = done.send(());
        }
        // Let a batch gather before looking again.
        std::thread::sleep(BATCH_INTERVAL);
    }
    if let Err(e) = log.close() {
        tracing::error!("audit close failed: {e}");
    }
    let waiters = std::mem::take(&mut shared.lock().flush_waiters);
    for done in waiters {
        let _ = done.send(());
    }
}

/// What an operation tells the audit trail beyond its request.
#[derive(Debug, Default)]
pub struct AuditInfo {
    /// `responseElements` (never a plaintext or key).
    pub response_elements: Option<serde_json::Value>,
    /// `resources`: (ARN, type, account).
    pub resources: Vec<(String, &'static str, String)>,
}
