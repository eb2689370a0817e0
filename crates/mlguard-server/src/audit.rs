//! The audit sink: one CloudTrail event per request, handed to a writer thread that
//! owns the hash-chained log, flushes (fsync) every second and writes a signed
//! digest at rotation and shutdown. Requests never wait for the disk.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use mlguard_audit::{AuditLog, AuditOptions, DigestSigner, Event};
use mlguard_crypto::RootKey;
use mlguard_store::Store;

use crate::datadir::DataDirError;

enum Message {
    Event(Box<Event>),
    Flush(mpsc::Sender<()>),
    Stop,
}

/// Sends events to the writer thread.
pub struct AuditSink {
    tx: mpsc::Sender<Message>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
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
        let (tx, rx) = mpsc::channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("mlguard-audit".into())
            .spawn(move || writer(log, rx))
            .map_err(|e| DataDirError::Invalid(format!("audit thread: {e}")))?;
        Ok(AuditSink {
            tx,
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    /// Queues an event.
    pub fn record(&self, event: Event) {
        if self.tx.send(Message::Event(Box::new(event))).is_err() {
            tracing::error!("audit writer has stopped; an event was not recorded");
        }
    }

    /// Waits until every queued event is on disk.
    pub fn flush(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        if self.tx.send(Message::Flush(done_tx)).is_ok() {
            let _ = done_rx.recv_timeout(Duration::from_secs(10));
        }
    }

    /// Flushes, writes a final digest and stops the writer; later events are dropped.
    pub fn stop(&self) {
        let _ = self.tx.send(Message::Stop);
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

fn writer(mut log: AuditLog, rx: mpsc::Receiver<Message>) {
    let mut dirty = false;
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(Message::Event(event)) => {
                if let Err(e) = log.append(&event) {
                    tracing::error!("audit append failed: {e}");
                }
                dirty = true;
            }
            Ok(Message::Flush(done)) => {
                if let Err(e) = log.flush() {
                    tracing::error!("audit flush failed: {e}");
                }
                dirty = false;
                let _ = done.send(());
            }
            Ok(Message::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if dirty {
                    if let Err(e) = log.flush() {
                        tracing::error!("audit flush failed: {e}");
                    }
                    dirty = false;
                }
            }
        }
    }
    if let Err(e) = log.close() {
        tracing::error!("audit close failed: {e}");
    }
}
