//! The envelope file format: a file encrypted under a data key that KMS issued,
//! streamed in authenticated frames so files larger than memory work and any
//! truncation, reordering, duplication or change is detected.
//!
//! ```text
//! header:
//!   magic "MLGENV" | version u16 = 1 | algorithm u16 = 1 (AES-256-GCM, HKDF-SHA-256 key)
//!   | frame length u32 | message id (32 random bytes)
//!   | key id: u16 length + UTF-8 | encryption context: u32 length + canonical bytes
//!   | encrypted data key: u16 length + bytes | header tag (16)
//! frames (sequence numbers from 1):
//!   regular: 0x00 | seq u64 | ciphertext (frame length) | tag (16)
//!   final:   0x01 | seq u64 | length u32 | ciphertext (≤ frame length) | tag (16)
//! ```
//! The frame key is HKDF-SHA-256(data key, salt = message id, info = "mlguard
//! envelope v1"), so nonces (`0u32 || seq`) are unique per file. Each frame's AAD
//! binds the message id, its kind, its sequence number and its length; the header
//! tag (sequence 0) authenticates every header byte, context included. Exactly one
//! final frame ends the stream and nothing may follow it.

use std::io::{self, Read, Write};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, Tag, UnboundKey};
use aws_lc_rs::hkdf;

use crate::{CryptoError, EncryptionContext, Result, random};

const MAGIC: &[u8; 6] = b"MLGENV";
const VERSION: u16 = 1;
const ALGORITHM: u16 = 1;
const TAG_LEN: usize = 16;
const REGULAR: u8 = 0;
const FINAL: u8 = 1;
/// The default frame length: large enough to amortize per-frame work, small
/// enough to bound memory.
pub const DEFAULT_FRAME_LEN: usize = 4 << 20;
/// The largest frame length a reader accepts (bounds memory on hostile input).
pub const MAX_FRAME_LEN: usize = 64 << 20;

/// What the header says, before it is authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The KMS key the data key was generated under.
    pub key_id: String,
    /// The encryption context the data key was generated with.
    pub context: EncryptionContext,
    /// The KMS ciphertext of the data key.
    pub encrypted_data_key: Vec<u8>,
    /// The frame length.
    pub frame_len: usize,
    message_id: [u8; 32],
    /// The header bytes as read, tag excluded, for authentication.
    raw: Vec<u8>,
    tag: [u8; TAG_LEN],
}

fn io_err(e: io::Error) -> CryptoError {
    CryptoError::Io(e.to_string())
}

fn frame_key(data_key: &[u8], message_id: &[u8; 32]) -> Result<LessSafeKey> {
    struct Len32;
    impl hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, message_id).extract(data_key);
    let okm = prk.expand(&[b"mlguard envelope v1"], Len32)?;
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    okm.fill(&mut *key)?;
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &*key).map_err(|_| CryptoError::Internal)?,
    ))
}

fn nonce(seq: u64) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    n[4..].copy_from_slice(&seq.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn frame_aad(message_id: &[u8; 32], kind: u8, seq: u64, len: usize) -> [u8; 49] {
    let mut aad = [0u8; 49];
    aad[..32].copy_from_slice(message_id);
    aad[32] = kind;
    aad[33..41].copy_from_slice(&seq.to_be_bytes());
    aad[41..49].copy_from_slice(&(len as u64).to_be_bytes());
    aad
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = buf.get_mut(filled..).ok_or(CryptoError::Internal)?;
        match input.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        }
    }
    Ok(filled)
}

/// Writes the header (authenticated by its tag) and returns the frame key and the
/// message id.
fn write_header(
    data_key: &[u8],
    key_id: &str,
    encrypted_data_key: &[u8],
    context: &EncryptionContext,
    frame_len: usize,
    output: &mut impl Write,
) -> Result<(LessSafeKey, [u8; 32])> {
    if frame_len == 0 || frame_len > MAX_FRAME_LEN {
        return Err(CryptoError::Envelope(format!(
            "frame length must be 1 to {MAX_FRAME_LEN} bytes"
        )));
    }
    // Unique per file (it salts the frame key); from the OS, see `random::os_array`.
    let message_id: [u8; 32] = random::os_array()?;
    let key = frame_key(data_key, &message_id)?;

    let context_bytes = context.canonical_bytes();
    let mut header =
        Vec::with_capacity(64 + key_id.len() + context_bytes.len() + encrypted_data_key.len());
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&VERSION.to_be_bytes());
    header.extend_from_slice(&ALGORITHM.to_be_bytes());
    header.extend_from_slice(
        &u32::try_from(frame_len)
            .map_err(|_| CryptoError::Internal)?
            .to_be_bytes(),
    );
    header.extend_from_slice(&message_id);
    let key_id_len =
        u16::try_from(key_id.len()).map_err(|_| CryptoError::Envelope("key id too long".into()))?;
    header.extend_from_slice(&key_id_len.to_be_bytes());
    header.extend_from_slice(key_id.as_bytes());
    let ctx_len = u32::try_from(context_bytes.len())
        .map_err(|_| CryptoError::Envelope("encryption context too long".into()))?;
    header.extend_from_slice(&ctx_len.to_be_bytes());
    header.extend_from_slice(&context_bytes);
    let edk_len = u16::try_from(encrypted_data_key.len())
        .map_err(|_| CryptoError::Envelope("encrypted data key too long".into()))?;
    header.extend_from_slice(&edk_len.to_be_bytes());
    header.extend_from_slice(encrypted_data_key);
    let header_tag = key.seal_in_place_separate_tag(nonce(0), Aad::from(&header), &mut [])?;
    output.write_all(&header).map_err(io_err)?;
    output.write_all(header_tag.as_ref()).map_err(io_err)?;
    output.flush().map_err(io_err)?;
    Ok((key, message_id))
}

/// Encrypts `input` (any stream: a pipe, standard input) to `output`. Returns the
/// number of plaintext bytes. For a regular file, [`encrypt_at`] is faster.
pub fn encrypt(
    data_key: &[u8],
    key_id: &str,
    encrypted_data_key: &[u8],
    context: &EncryptionContext,
    frame_len: usize,
    input: impl Read + Send,
    mut output: impl Write + Send,
) -> Result<u64> {
    let (key, message_id) = write_header(
        data_key,
        key_id,
        encrypted_data_key,
        context,
        frame_len,
        &mut output,
    )?;
    seal_frames(&key, &message_id, frame_len, input, output)
}

/// Room before a frame's data for its prefix (kind, sequence, length: at most 13
/// bytes, written just before the data). 64 keeps the data cache-line aligned for
/// the reads into it and the cipher over it.
const PREFIX: usize = 64;
/// Buffers in flight between the reader, the sealer and the writer.
const IN_FLIGHT: usize = 4;

/// Seals frame `seq` in `buf`, laid out as `[PREFIX][len bytes of data][TAG_LEN]`:
/// encrypts the data in place, writes the tag after it and the prefix before it.
/// The sealed frame is `buf[start..PREFIX + len + TAG_LEN]`; returns `start`.
fn seal_frame(
    key: &LessSafeKey,
    message_id: &[u8; 32],
    buf: &mut [u8],
    len: usize,
    seq: u64,
    is_final: bool,
) -> Result<usize> {
    let kind = if is_final { FINAL } else { REGULAR };
    let body = buf
        .get_mut(PREFIX..PREFIX + len)
        .ok_or(CryptoError::Internal)?;
    let tag: Tag = key.seal_in_place_separate_tag(
        nonce(seq),
        Aad::from(frame_aad(message_id, kind, seq, len)),
        body,
    )?;
    buf.get_mut(PREFIX + len..PREFIX + len + TAG_LEN)
        .ok_or(CryptoError::Internal)?
        .copy_from_slice(tag.as_ref());
    let start = if is_final {
        let l = u32::try_from(len).map_err(|_| CryptoError::Internal)?;
        buf.get_mut(PREFIX - 4..PREFIX)
            .ok_or(CryptoError::Internal)?
            .copy_from_slice(&l.to_be_bytes());
        PREFIX - 13
    } else {
        PREFIX - 9
    };
    let (kind_byte, seq_bytes) = buf
        .get_mut(start..start + 9)
        .and_then(<[u8]>::split_first_mut)
        .ok_or(CryptoError::Internal)?;
    *kind_byte = kind;
    seq_bytes.copy_from_slice(&seq.to_be_bytes());
    Ok(start)
}

/// Seals the frames of `input` into `output`. Three stages overlap on separate
/// threads (read, seal, write), so file I/O and AES-GCM use both cores; buffers
/// circulate, so memory stays at a few frames whatever the file size.
fn seal_frames(
    key: &LessSafeKey,
    message_id: &[u8; 32],
    frame_len: usize,
    mut input: impl Read + Send,
    mut output: impl Write + Send,
) -> Result<u64> {
    use std::sync::mpsc::sync_channel;
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
    let (full_tx, full_rx) = sync_channel::<Result<(Vec<u8>, usize)>>(IN_FLIGHT);
    let (sealed_tx, sealed_rx) = sync_channel::<(Vec<u8>, usize, usize)>(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        free_tx
            .send(vec![0u8; PREFIX + frame_len + TAG_LEN])
            .map_err(|_| CryptoError::Internal)?;
    }
    std::thread::scope(|scope| -> Result<u64> {
        let reader = scope.spawn(move || {
            while let Ok(mut buf) = free_rx.recv() {
                let filled = match buf.get_mut(PREFIX..PREFIX + frame_len) {
                    Some(area) => fill(&mut input, area),
                    None => Err(CryptoError::Internal),
                };
                let done = !matches!(filled, Ok(n) if n == frame_len);
                if full_tx.send(filled.map(|n| (buf, n))).is_err() || done {
                    return;
                }
            }
        });
        let free_back = free_tx.clone();
        let writer = scope.spawn(move || -> Result<()> {
            for (buf, start, end) in sealed_rx {
                output
                    .write_all(buf.get(start..end).ok_or(CryptoError::Internal)?)
                    .map_err(io_err)?;
                // The reader may have stopped; a buffer with nowhere to go is dropped.
                let _ = free_back.send(buf);
            }
            output.flush().map_err(io_err)
        });

        let mut seq: u64 = 1;
        let mut total: u64 = 0;
        let mut pending: Option<(Vec<u8>, usize)> =
            Some(full_rx.recv().map_err(|_| CryptoError::Internal)??);
        while let Some((mut buf, len)) = pending.take() {
            // A full frame is final only if nothing follows it.
            let next = if len == frame_len {
                Some(full_rx.recv().map_err(|_| CryptoError::Internal)??)
            } else {
                None
            };
            let is_final = next.as_ref().is_none_or(|(_, n)| *n == 0);
            let start = seal_frame(key, message_id, &mut buf, len, seq, is_final)?;
            total += len as u64;
            if sealed_tx
                .send((buf, start, PREFIX + len + TAG_LEN))
                .is_err()
            {
                break;
            }
            if is_final {
                break;
            }
            pending = next;
            seq = seq
                .checked_add(1)
                .ok_or_else(|| CryptoError::Envelope("too many frames".into()))?;
        }
        drop(sealed_tx);
        drop(full_rx);
        let written = writer.join().map_err(|_| CryptoError::Internal)?;
        let _ = reader.join();
        written.map(|()| total)
    })
}

fn read_exact(input: &mut impl Read, buf: &mut [u8], what: &str) -> Result<()> {
    if fill(input, buf)? == buf.len() {
        Ok(())
    } else {
        Err(CryptoError::Envelope(format!("truncated {what}")))
    }
}

/// Reads the header (not yet authenticated: that needs the data key).
pub fn read_header(input: &mut impl Read) -> Result<Header> {
    let mut raw = Vec::new();
    let mut take = |input: &mut dyn Read, n: usize, what: &str| -> Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        read_exact(&mut ReadRef(input), &mut buf, what)?;
        raw.extend_from_slice(&buf);
        Ok(buf)
    };
    if take(input, 6, "header")? != MAGIC {
        return Err(CryptoError::Envelope("not an mlguard envelope file".into()));
    }
    let be16 = |b: Vec<u8>| {
        b.get(..2)
            .and_then(|s| s.try_into().ok())
            .map(u16::from_be_bytes)
            .unwrap_or(0)
    };
    let be32 = |b: Vec<u8>| {
        b.get(..4)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_be_bytes)
            .unwrap_or(0)
    };
    let version = be16(take(input, 2, "header")?);
    let algorithm = be16(take(input, 2, "header")?);
    if version != VERSION || algorithm != ALGORITHM {
        return Err(CryptoError::Envelope(format!(
            "unsupported envelope version {version} / algorithm {algorithm}"
        )));
    }
    let frame_len =
        usize::try_from(be32(take(input, 4, "header")?)).map_err(|_| CryptoError::Internal)?;
    if frame_len == 0 || frame_len > MAX_FRAME_LEN {
        return Err(CryptoError::Envelope("invalid frame length".into()));
    }
    let message_id: [u8; 32] = take(input, 32, "header")?
        .try_into()
        .map_err(|_| CryptoError::Internal)?;
    let key_id_len = usize::from(be16(take(input, 2, "header")?));
    let key_id = String::from_utf8(take(input, key_id_len, "key id")?)
        .map_err(|_| CryptoError::Envelope("key id is not UTF-8".into()))?;
    let ctx_len =
        usize::try_from(be32(take(input, 4, "header")?)).map_err(|_| CryptoError::Internal)?;
    if ctx_len > 1 << 20 {
        return Err(CryptoError::Envelope("encryption context too long".into()));
    }
    let context =
        EncryptionContext::from_canonical_bytes(&take(input, ctx_len, "encryption context")?)
            .ok_or_else(|| CryptoError::Envelope("malformed encryption context".into()))?;
    let edk_len = usize::from(be16(take(input, 2, "header")?));
    let encrypted_data_key = take(input, edk_len, "encrypted data key")?;
    let mut tag = [0u8; TAG_LEN];
    read_exact(input, &mut tag, "header")?;
    Ok(Header {
        key_id,
        context,
        encrypted_data_key,
        frame_len,
        message_id,
        raw,
        tag,
    })
}

struct ReadRef<'a>(&'a mut dyn Read);
impl Read for ReadRef<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

/// Authenticates the header with the data key, then decrypts the frames that follow
/// it in `input` to `output`. Plaintext of authenticated frames is written as it is
/// verified; on any error the caller must discard the output. Returns plaintext bytes.
pub fn decrypt(
    data_key: &[u8],
    header: &Header,
    mut input: impl Read,
    mut output: impl Write,
) -> Result<u64> {
    let key = frame_key(data_key, &header.message_id)?;
    let mut empty = header.tag.to_vec();
    key.open_in_place(nonce(0), Aad::from(&header.raw), &mut empty)
        .map_err(|_| {
            CryptoError::Envelope(
                "header authentication failed: wrong data key or modified header".into(),
            )
        })?;

    let mut buf = vec![0u8; header.frame_len + TAG_LEN];
    let mut expected: u64 = 1;
    let mut total: u64 = 0;
    loop {
        let mut prefix = [0u8; 9];
        match fill(&mut input, &mut prefix)? {
            0 => {
                return Err(CryptoError::Envelope(
                    "truncated: the final frame is missing".into(),
                ));
            }
            9 => {}
            _ => return Err(CryptoError::Envelope("truncated frame".into())),
        }
        let kind = prefix[0];
        let seq = u64::from_be_bytes(prefix[1..9].try_into().map_err(|_| CryptoError::Internal)?);
        if seq != expected {
            return Err(CryptoError::Envelope(format!(
                "frame {seq} found where frame {expected} belongs: reordered, duplicated or missing frames"
            )));
        }
        let len = match kind {
            REGULAR => header.frame_len,
            FINAL => {
                let mut l = [0u8; 4];
                read_exact(&mut input, &mut l, "frame")?;
                let len =
                    usize::try_from(u32::from_be_bytes(l)).map_err(|_| CryptoError::Internal)?;
                if len > header.frame_len {
                    return Err(CryptoError::Envelope(
                        "final frame longer than the frame length".into(),
                    ));
                }
                len
            }
            _ => return Err(CryptoError::Envelope("unknown frame kind".into())),
        };
        let sealed = buf.get_mut(..len + TAG_LEN).ok_or(CryptoError::Internal)?;
        read_exact(&mut input, sealed, "frame")?;
        let plain = key
            .open_in_place(
                nonce(seq),
                Aad::from(frame_aad(&header.message_id, kind, seq, len)),
                sealed,
            )
            .map_err(|_| {
                CryptoError::Envelope(format!("frame {seq} failed authentication: modified data"))
            })?;
        output.write_all(plain).map_err(io_err)?;
        total += len as u64;
        if kind == FINAL {
            let mut extra = [0u8; 1];
            if fill(&mut input, &mut extra)? != 0 {
                return Err(CryptoError::Envelope("data after the final frame".into()));
            }
            output.flush().map_err(io_err)?;
            return Ok(total);
        }
        expected = expected
            .checked_add(1)
            .ok_or_else(|| CryptoError::Envelope("too many frames".into()))?;
    }
}

/// Positional reads, which many threads can make at once: a regular file, or bytes
/// in memory.
pub trait ReadAt: Sync {
    /// Reads at `offset` into `buf`; returns the bytes read (0 at the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

#[cfg(unix)]
impl ReadAt for std::fs::File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }
}

#[cfg(windows)]
impl ReadAt for std::fs::File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let available = self.get(start..).unwrap_or_default();
        let n = available.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

/// Positional writes, which many threads can make at once: a regular file.
pub trait WriteAt: Sync {
    /// Writes all of `buf` at `offset`.
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
}

#[cfg(unix)]
impl WriteAt for std::fs::File {
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(self, buf, offset)
    }
}

#[cfg(windows)]
impl WriteAt for std::fs::File {
    fn write_all_at(&self, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_write(self, buf, offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = buf.get(n..).unwrap_or_default();
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Reads exactly `buf.len()` bytes at `offset`; the number read if the input ends first.
fn fill_at(input: &(impl ReadAt + ?Sized), buf: &mut [u8], offset: u64) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = buf.get_mut(filled..).ok_or(CryptoError::Internal)?;
        match input.read_at(rest, offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        }
    }
    Ok(filled)
}

/// How many threads seal or open frames of a positional input at once.
fn workers(frames: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    usize::try_from(frames)
        .unwrap_or(usize::MAX)
        .clamp(1, cores.min(8))
}

/// Where processed frames go.
enum Sink<'a> {
    /// A stream, written in frame order by the caller's thread.
    Ordered(&'a mut (dyn Write + Send)),
    /// A positional output, written by the workers themselves at `offset(seq)`.
    At(&'a dyn WriteAt, &'a (dyn Fn(u64) -> u64 + Sync)),
}

/// Frames processed out of order by workers and written to `sink`: in order by the
/// caller's thread, or in place by the workers. Each worker takes a free buffer, then the next frame number, and hands
/// back `(seq, buffer, start, end)`; buffers return to the pool once written, so
/// memory stays at a few frames. A worker always holds the buffer of the frame it
/// took, so the frame the writer waits for is always in progress: no deadlock.
fn parallel_frames(
    frames: u64,
    buf_len: usize,
    work: impl Fn(u64, &mut Vec<u8>) -> Result<(usize, usize)> + Sync,
    sink: Sink<'_>,
) -> Result<()> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::mpsc::{channel, sync_channel};

    let threads = workers(frames);
    let in_flight = threads * 2 + 2;
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(in_flight);
    for _ in 0..in_flight {
        free_tx
            .send(vec![0u8; buf_len])
            .map_err(|_| CryptoError::Internal)?;
    }
    let free_rx = Mutex::new(free_rx);
    let next = AtomicU64::new(1);
    let stop = AtomicBool::new(false);
    let (done_tx, done_rx) = channel::<Result<(u64, Vec<u8>, usize, usize)>>();
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..threads {
            let (free_rx, next, stop, work, done_tx) =
                (&free_rx, &next, &stop, &work, done_tx.clone());
            let (at, free_back) = match &sink {
                Sink::At(out, offset) => (Some((*out, *offset)), Some(free_tx.clone())),
                Sink::Ordered(_) => (None, None),
            };
            scope.spawn(move || {
                loop {
                    let buf = match free_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(mut buf) = buf else { return };
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if seq > frames || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let mut result = work(seq, &mut buf).map(|(start, end)| (seq, buf, start, end));
                    if let (Some((out, offset)), Ok((_, buf, start, end))) = (at, &mut result) {
                        // Written in place: only the outcome goes back.
                        let written = buf
                            .get(*start..*end)
                            .ok_or(CryptoError::Internal)
                            .and_then(|b| out.write_all_at(b, offset(seq)).map_err(io_err));
                        if let Err(e) = written {
                            result = Err(e);
                        } else if let Some(free) = &free_back {
                            let _ = free.try_send(std::mem::take(buf));
                            *end = 0;
                            *start = 0;
                        }
                    }
                    let failed = result.is_err();
                    if done_tx.send(result).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let outcome = (|| -> Result<()> {
            match sink {
                Sink::Ordered(output) => {
                    let mut pending = BTreeMap::new();
                    let mut expected = 1u64;
                    while expected <= frames {
                        let (seq, buf, start, end) =
                            done_rx.recv().map_err(|_| CryptoError::Internal)??;
                        pending.insert(seq, (buf, start, end));
                        while let Some((buf, start, end)) = pending.remove(&expected) {
                            output
                                .write_all(buf.get(start..end).ok_or(CryptoError::Internal)?)
                                .map_err(io_err)?;
                            // Workers may all have finished; then the buffer is not needed.
                            let _ = free_tx.try_send(buf);
                            expected += 1;
                        }
                    }
                    output.flush().map_err(io_err)
                }
                Sink::At(..) => {
                    for _ in 0..frames {
                        done_rx.recv().map_err(|_| CryptoError::Internal)??;
                    }
                    Ok(())
                }
            }
        })();
        // On error, stop the workers: no new frames, and no buffers for them.
        stop.store(true, Ordering::Relaxed);
        drop(free_tx);
        outcome
    })
}

/// Encrypts `len` bytes of a positional input (a regular file) to `output`, sealing
/// frames on every core while `output` is written in order on this thread. Returns
/// the number of plaintext bytes. The input must not change meanwhile: if it has
/// fewer or more than `len` bytes, encryption fails.
#[expect(
    clippy::too_many_arguments,
    reason = "the envelope's parts, as `encrypt` takes them, plus the input's length"
)]
pub fn encrypt_at(
    data_key: &[u8],
    key_id: &str,
    encrypted_data_key: &[u8],
    context: &EncryptionContext,
    frame_len: usize,
    input: &(impl ReadAt + ?Sized),
    len: u64,
    mut output: impl Write + Send,
) -> Result<u64> {
    let (key, message_id) = write_header(
        data_key,
        key_id,
        encrypted_data_key,
        context,
        frame_len,
        &mut output,
    )?;
    seal_frames_at(
        &key,
        &message_id,
        frame_len,
        input,
        len,
        Sink::Ordered(&mut output),
    )
}

/// [`encrypt_at`] to a positional output (a new regular file): the workers also
/// write their frames in place, so the output's cost is shared by every core too.
/// The file's previous contents, if any, are not truncated.
#[expect(
    clippy::too_many_arguments,
    reason = "the envelope's parts, as `encrypt` takes them, plus the input's length"
)]
pub fn encrypt_file(
    data_key: &[u8],
    key_id: &str,
    encrypted_data_key: &[u8],
    context: &EncryptionContext,
    frame_len: usize,
    input: &(impl ReadAt + ?Sized),
    len: u64,
    output: &impl WriteAt,
) -> Result<u64> {
    let mut header = Vec::new();
    let (key, message_id) = write_header(
        data_key,
        key_id,
        encrypted_data_key,
        context,
        frame_len,
        &mut header,
    )?;
    output.write_all_at(&header, 0).map_err(io_err)?;
    let header_len = header.len() as u64;
    let regular = (9 + frame_len + TAG_LEN) as u64;
    let offset = move |seq: u64| header_len + (seq - 1) * regular;
    seal_frames_at(
        &key,
        &message_id,
        frame_len,
        input,
        len,
        Sink::At(output, &offset),
    )
}

fn seal_frames_at(
    key: &LessSafeKey,
    message_id: &[u8; 32],
    frame_len: usize,
    input: &(impl ReadAt + ?Sized),
    len: u64,
    sink: Sink<'_>,
) -> Result<u64> {
    let frame = frame_len as u64;
    // Every file has a final frame, an empty one for an empty file.
    let frames = len.div_ceil(frame).max(1);
    let changed = || CryptoError::Envelope("the input changed while it was being encrypted".into());
    parallel_frames(
        frames,
        PREFIX + frame_len + TAG_LEN,
        |seq, buf| {
            let offset = (seq - 1) * frame;
            let want = usize::try_from(len.saturating_sub(offset).min(frame))
                .map_err(|_| CryptoError::Internal)?;
            let area = buf
                .get_mut(PREFIX..PREFIX + want)
                .ok_or(CryptoError::Internal)?;
            if fill_at(input, area, offset)? != want {
                return Err(changed());
            }
            let is_final = seq == frames;
            if is_final && fill_at(input, &mut [0u8; 1], len)? != 0 {
                return Err(changed());
            }
            let start = seal_frame(key, message_id, buf, want, seq, is_final)?;
            Ok((start, PREFIX + want + TAG_LEN))
        },
        sink,
    )?;
    Ok(len)
}

impl Header {
    /// The header's length in the file, tag included: where the frames start.
    pub fn encoded_len(&self) -> u64 {
        (self.raw.len() + TAG_LEN) as u64
    }
}

/// Authenticates the header with the data key, then decrypts the frames of a
/// positional input (a regular file of `len` bytes whose header [`read_header`]
/// read) to `output`, opening frames on every core and writing them in order on
/// this thread. As with [`decrypt`], plaintext is written only once authenticated,
/// and on any error the caller must discard the output.
pub fn decrypt_at(
    data_key: &[u8],
    header: &Header,
    input: &(impl ReadAt + ?Sized),
    len: u64,
    mut output: impl Write + Send,
) -> Result<u64> {
    open_frames_at(data_key, header, input, len, Sink::Ordered(&mut output))
}

/// [`decrypt_at`] to a positional output (a new regular file), which the workers
/// write in place. The file's previous contents, if any, are not truncated.
pub fn decrypt_file(
    data_key: &[u8],
    header: &Header,
    input: &(impl ReadAt + ?Sized),
    len: u64,
    output: &impl WriteAt,
) -> Result<u64> {
    let frame = header.frame_len as u64;
    let offset = move |seq: u64| (seq - 1) * frame;
    open_frames_at(data_key, header, input, len, Sink::At(output, &offset))
}

fn open_frames_at(
    data_key: &[u8],
    header: &Header,
    input: &(impl ReadAt + ?Sized),
    len: u64,
    sink: Sink<'_>,
) -> Result<u64> {
    let key = frame_key(data_key, &header.message_id)?;
    let mut empty = header.tag.to_vec();
    key.open_in_place(nonce(0), Aad::from(&header.raw), &mut empty)
        .map_err(|_| {
            CryptoError::Envelope(
                "header authentication failed: wrong data key or modified header".into(),
            )
        })?;
    // The layout follows from the length: regular frames of 9 + frame length + 16
    // bytes, then one final frame of 13 + n + 16 bytes with n ≤ frame length. A
    // truncated, extended or rearranged file breaks the layout or a frame's
    // authentication (its kind, number and length are in its AAD).
    let body = len
        .checked_sub(header.encoded_len())
        .ok_or_else(|| CryptoError::Envelope("truncated header".into()))?;
    let frame = header.frame_len as u64;
    let regular = 9 + frame + TAG_LEN as u64;
    let final_overhead = 13 + TAG_LEN as u64;
    let rest = body
        .checked_sub(final_overhead)
        .ok_or_else(|| CryptoError::Envelope("truncated: the final frame is missing".into()))?;
    let (full, last_len) = (rest / regular, rest % regular);
    if last_len > frame {
        return Err(CryptoError::Envelope(
            "truncated or extended: the frames do not fill the file".into(),
        ));
    }
    let frames = full + 1;
    let start = header.encoded_len();
    parallel_frames(
        frames,
        PREFIX + header.frame_len + TAG_LEN,
        |seq, buf| {
            let is_final = seq == frames;
            let n = if is_final { last_len } else { frame };
            let n_usize = usize::try_from(n).map_err(|_| CryptoError::Internal)?;
            let prefix = if is_final { 13 } else { 9 };
            // Read so that the data lands at PREFIX, aligned.
            let on_disk = buf
                .get_mut(PREFIX - prefix..PREFIX + n_usize + TAG_LEN)
                .ok_or(CryptoError::Internal)?;
            let offset = start + (seq - 1) * regular;
            if fill_at(input, on_disk, offset)? != on_disk.len() {
                return Err(CryptoError::Envelope(
                    "the input changed while it was being decrypted".into(),
                ));
            }
            let (head, sealed) = on_disk.split_at_mut(prefix);
            let kind = if is_final { FINAL } else { REGULAR };
            let mut expected = [0u8; 13];
            if let Some((k, rest)) = expected.split_first_mut() {
                *k = kind;
                if let Some(seq_bytes) = rest.get_mut(..8) {
                    seq_bytes.copy_from_slice(&seq.to_be_bytes());
                }
                if let Some(len_bytes) = rest.get_mut(8..12) {
                    let l = u32::try_from(n).map_err(|_| CryptoError::Internal)?;
                    len_bytes.copy_from_slice(&l.to_be_bytes());
                }
            }
            if head != expected.get(..prefix).ok_or(CryptoError::Internal)? {
                return Err(CryptoError::Envelope(format!(
                    "frame {seq} is not where it belongs: reordered, duplicated, missing or truncated frames"
                )));
            }
            key.open_in_place(
                nonce(seq),
                Aad::from(frame_aad(&header.message_id, kind, seq, n_usize)),
                sealed,
            )
            .map_err(|_| {
                CryptoError::Envelope(format!("frame {seq} failed authentication: modified data"))
            })?;
            Ok((PREFIX, PREFIX + n_usize))
        },
        sink,
    )?;
    Ok(frames.saturating_sub(1) * frame + last_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8], frame_len: usize) -> Vec<u8> {
        let dk = random::secret_bytes(32).unwrap();
        let ctx: EncryptionContext = [("dataset", "train")].into_iter().collect();
        let mut out = Vec::new();
        encrypt(
            &dk,
            "arn:aws:kms:us-east-1:111122223333:key/k",
            b"EDK",
            &ctx,
            frame_len,
            data,
            &mut out,
        )
        .unwrap();
        let mut r = &out[..];
        let h = read_header(&mut r).unwrap();
        assert_eq!(h.key_id, "arn:aws:kms:us-east-1:111122223333:key/k");
        assert_eq!(h.context, ctx);
        assert_eq!(h.encrypted_data_key, b"EDK");
        let mut plain = Vec::new();
        decrypt(&dk, &h, r, &mut plain).unwrap();
        assert_eq!(plain, data);
        out
    }

    /// Encrypts with the positional path and checks both decryptors agree.
    fn roundtrip_at(data: &[u8], frame_len: usize) {
        let dk = random::secret_bytes(32).unwrap();
        let ctx: EncryptionContext = [("dataset", "train")].into_iter().collect();
        let mut out = Vec::new();
        let n = encrypt_at(
            &dk,
            "k",
            b"EDK",
            &ctx,
            frame_len,
            data,
            data.len() as u64,
            &mut out,
        )
        .unwrap();
        assert_eq!(n, data.len() as u64);
        let mut r = &out[..];
        let h = read_header(&mut r).unwrap();
        let mut plain = Vec::new();
        decrypt(&dk, &h, r, &mut plain).unwrap();
        assert_eq!(plain, data, "stream decrypt of a positional encrypt");
        let mut plain = Vec::new();
        let n = decrypt_at(&dk, &h, &out[..], out.len() as u64, &mut plain).unwrap();
        assert_eq!(plain, data, "positional decrypt");
        assert_eq!(n, data.len() as u64);
    }

    #[test]
    fn positional_paths_agree_with_the_stream_paths() {
        for len in [0, 1, 15, 16, 17, 32, 33, 100, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            roundtrip_at(&data, 16);
            // The header's encoded length is where the frames start.
            let out = roundtrip(&data, 16);
            let mut r = &out[..];
            let h = read_header(&mut r).unwrap();
            assert_eq!(h.encoded_len() as usize, out.len() - r.len());
        }
        roundtrip_at(&vec![9u8; 3 << 20], 1 << 20);
        roundtrip_at(&vec![9u8; (3 << 20) + 5], 1 << 20);
    }

    #[test]
    fn stream_encrypted_files_decrypt_positionally() {
        let dk = random::secret_bytes(32).unwrap();
        for len in [0usize, 16, 50] {
            let data = vec![3u8; len];
            let mut out = Vec::new();
            encrypt(
                &dk,
                "k",
                b"EDK",
                &EncryptionContext::new(),
                16,
                &data[..],
                &mut out,
            )
            .unwrap();
            let mut r = &out[..];
            let h = read_header(&mut r).unwrap();
            let mut plain = Vec::new();
            decrypt_at(&dk, &h, &out[..], out.len() as u64, &mut plain).unwrap();
            assert_eq!(plain, data);
        }
    }

    /// A positional output in memory.
    #[derive(Default)]
    struct MemAt(std::sync::Mutex<Vec<u8>>);
    impl WriteAt for MemAt {
        fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
            let mut v = self.0.lock().unwrap();
            let end = offset as usize + buf.len();
            if v.len() < end {
                v.resize(end, 0);
            }
            v[offset as usize..end].copy_from_slice(buf);
            Ok(())
        }
    }

    #[test]
    fn positional_outputs_hold_the_same_envelope() {
        let dk = random::secret_bytes(32).unwrap();
        let ctx: EncryptionContext = [("a", "b")].into_iter().collect();
        for len in [0usize, 1, 16, 17, 100, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
            let out = MemAt::default();
            encrypt_file(&dk, "k", b"EDK", &ctx, 16, &data[..], len as u64, &out).unwrap();
            let sealed = out.0.into_inner().unwrap();
            let mut r = &sealed[..];
            let h = read_header(&mut r).unwrap();
            let mut plain = Vec::new();
            decrypt(&dk, &h, r, &mut plain).unwrap();
            assert_eq!(plain, data, "stream decrypt of encrypt_file, {len} bytes");
            let plain_at = MemAt::default();
            let n = decrypt_file(&dk, &h, &sealed[..], sealed.len() as u64, &plain_at).unwrap();
            assert_eq!(n, len as u64);
            assert_eq!(
                plain_at.0.into_inner().unwrap(),
                data,
                "decrypt_file, {len} bytes"
            );
        }
        // A tampered frame fails decrypt_file too.
        let data = [5u8; 100];
        let out = MemAt::default();
        encrypt_file(&dk, "k", b"EDK", &ctx, 16, &data[..], 100, &out).unwrap();
        let mut sealed = out.0.into_inner().unwrap();
        let last = sealed.len() - 20;
        sealed[last] ^= 1;
        let mut r = &sealed[..];
        let h = read_header(&mut r).unwrap();
        assert!(
            decrypt_file(&dk, &h, &sealed[..], sealed.len() as u64, &MemAt::default()).is_err()
        );
    }

    #[test]
    fn positional_encrypt_refuses_an_input_that_changed() {
        let dk = random::secret_bytes(32).unwrap();
        let data = [1u8; 100];
        // Shorter than announced.
        assert!(
            encrypt_at(
                &dk,
                "k",
                b"E",
                &EncryptionContext::new(),
                16,
                &data[..],
                120,
                Vec::new()
            )
            .is_err()
        );
        // Longer than announced.
        assert!(
            encrypt_at(
                &dk,
                "k",
                b"E",
                &EncryptionContext::new(),
                16,
                &data[..],
                90,
                Vec::new()
            )
            .is_err()
        );
    }

    #[test]
    fn a_failing_output_stops_the_workers() {
        /// Takes the header and a few frames, then fails.
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(io::Error::other("disk full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let dk = random::secret_bytes(32).unwrap();
        let data = vec![1u8; 1 << 16];
        let err = encrypt_at(
            &dk,
            "k",
            b"E",
            &EncryptionContext::new(),
            16,
            &data[..],
            1 << 16,
            Full(1000),
        );
        assert!(matches!(err, Err(CryptoError::Io(_))), "{err:?}");
    }

    #[test]
    fn sizes_around_frame_boundaries() {
        for len in [0, 1, 15, 16, 17, 32, 33, 100] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            roundtrip(&data, 16);
        }
    }

    /// Every flipped bit, truncation, extension, swapped or dropped frame of an
    /// envelope (100 bytes in 16-byte frames) fails `check`.
    fn assert_every_change_detected(
        out: &[u8],
        data: &[u8],
        check: impl Fn(&[u8]) -> Result<Vec<u8>>,
    ) {
        assert_eq!(check(out).unwrap(), data);
        for i in 0..out.len() {
            let mut bad = out.to_vec();
            bad[i] ^= 0x20;
            assert!(check(&bad).is_err(), "flipped byte {i} went unnoticed");
        }
        for cut in 0..out.len() {
            assert!(
                check(&out[..cut]).is_err(),
                "truncation at {cut} went unnoticed"
            );
        }
        for extra in 1..60 {
            let mut longer = out.to_vec();
            longer.extend(std::iter::repeat_n(0u8, extra));
            assert!(
                check(&longer).is_err(),
                "{extra} appended bytes went unnoticed"
            );
        }
        let mut r = out;
        read_header(&mut r).unwrap();
        let header_len = out.len() - r.len();
        let frame = 9 + 16 + 16;
        let (a, b) = (header_len, header_len + frame);
        let mut swapped = out.to_vec();
        swapped[a..a + frame].copy_from_slice(&out[b..b + frame]);
        swapped[b..b + frame].copy_from_slice(&out[a..a + frame]);
        assert!(check(&swapped).is_err(), "swapped frames went unnoticed");
        let mut dropped = out.to_vec();
        dropped.drain(a..a + frame);
        assert!(check(&dropped).is_err(), "a dropped frame went unnoticed");
    }

    #[test]
    fn tampering_is_detected() {
        let dk = random::secret_bytes(32).unwrap();
        let data: Vec<u8> = (0..100u8).collect();
        let none = EncryptionContext::new();
        let mut stream = Vec::new();
        encrypt(&dk, "k", b"EDK", &none, 16, &data[..], &mut stream).unwrap();
        let mut positional = Vec::new();
        encrypt_at(&dk, "k", b"EDK", &none, 16, &data[..], 100, &mut positional).unwrap();
        let by_stream = |bytes: &[u8]| -> Result<Vec<u8>> {
            let mut r = bytes;
            let h = read_header(&mut r)?;
            let mut plain = Vec::new();
            decrypt(&dk, &h, r, &mut plain)?;
            Ok(plain)
        };
        let by_position = |bytes: &[u8]| -> Result<Vec<u8>> {
            let mut r = bytes;
            let h = read_header(&mut r)?;
            let mut plain = Vec::new();
            decrypt_at(&dk, &h, bytes, bytes.len() as u64, &mut plain)?;
            Ok(plain)
        };
        for out in [&stream, &positional] {
            assert_every_change_detected(out, &data, by_stream);
            assert_every_change_detected(out, &data, by_position);
        }
        // The wrong data key fails at the header.
        let mut r = &stream[..];
        let h = read_header(&mut r).unwrap();
        assert!(decrypt(&random::secret_bytes(32).unwrap(), &h, r, Vec::new()).is_err());
    }
}
