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

/// Encrypts `input` to `output`. Returns the number of plaintext bytes.
pub fn encrypt(
    data_key: &[u8],
    key_id: &str,
    encrypted_data_key: &[u8],
    context: &EncryptionContext,
    frame_len: usize,
    input: impl Read + Send,
    mut output: impl Write + Send,
) -> Result<u64> {
    if frame_len == 0 || frame_len > MAX_FRAME_LEN {
        return Err(CryptoError::Envelope(format!(
            "frame length must be 1 to {MAX_FRAME_LEN} bytes"
        )));
    }
    let message_id: [u8; 32] = random::array()?;
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
    seal_frames(&key, &message_id, frame_len, input, output)
}

/// Room before a frame's data for its prefix (kind, sequence, length).
const PREFIX: usize = 13;
/// Buffers in flight between the reader, the sealer and the writer.
const IN_FLIGHT: usize = 4;

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

    #[test]
    fn sizes_around_frame_boundaries() {
        for len in [0, 1, 15, 16, 17, 32, 33, 100] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            roundtrip(&data, 16);
        }
    }

    #[test]
    fn tampering_is_detected() {
        let dk = random::secret_bytes(32).unwrap();
        let data: Vec<u8> = (0..100u8).collect();
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
        let check = |bytes: &[u8]| -> Result<Vec<u8>> {
            let mut r = bytes;
            let h = read_header(&mut r)?;
            let mut plain = Vec::new();
            decrypt(&dk, &h, r, &mut plain)?;
            Ok(plain)
        };
        assert_eq!(check(&out).unwrap(), data);
        for i in 0..out.len() {
            let mut bad = out.clone();
            bad[i] ^= 0x20;
            assert!(check(&bad).is_err(), "flipped byte {i} went unnoticed");
        }
        for cut in 0..out.len() {
            assert!(
                check(&out[..cut]).is_err(),
                "truncation at {cut} went unnoticed"
            );
        }
        let mut extra = out.clone();
        extra.push(0);
        assert!(check(&extra).is_err());
        // Swap two regular frames (each 9 + 16 + 16 bytes after the header).
        let mut r = &out[..];
        let header_len = {
            read_header(&mut r).unwrap();
            out.len() - r.len()
        };
        let frame = 9 + 16 + 16;
        let mut swapped = out.clone();
        let (a, b) = (header_len, header_len + frame);
        let first: Vec<u8> = swapped[a..a + frame].to_vec();
        let second: Vec<u8> = swapped[b..b + frame].to_vec();
        swapped[a..a + frame].copy_from_slice(&second);
        swapped[b..b + frame].copy_from_slice(&first);
        assert!(check(&swapped).is_err());
        // The wrong data key fails at the header.
        let mut r = &out[..];
        let h = read_header(&mut r).unwrap();
        assert!(decrypt(&random::secret_bytes(32).unwrap(), &h, r, Vec::new()).is_err());
    }
}
