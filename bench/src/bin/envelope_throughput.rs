//! In-memory throughput of the envelope format against raw AES-256-GCM, in the same
//! run on the same buffer: what `mlguard encrypt` costs beyond the cipher itself,
//! without the disk. `bench/envelope.py` runs it beside the real CLI on a file.
//!
//! envelope_throughput [--mib 1024] [--frame-size 4194304] [--rounds 3]
//! Prints one JSON object: GB/s (10^9 bytes per second), best of the rounds.

use std::time::Instant;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use mlguard_crypto::EncryptionContext;
use mlguard_crypto::envelope;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    mib: usize,
    frame_size: usize,
    rounds: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        mib: 1024,
        frame_size: envelope::DEFAULT_FRAME_LEN,
        rounds: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: usize = value.parse().map_err(|e| format!("{flag}: {e}"))?;
        match flag.as_str() {
            "--mib" => args.mib = number,
            "--frame-size" => args.frame_size = number,
            "--rounds" => args.rounds = number.max(1),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("envelope_throughput: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The best (shortest) time of `rounds` runs of `f`, in seconds.
fn best(rounds: usize, mut f: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let size = args.mib << 20;
    // Not all zeros, so nothing downstream can be clever about it.
    let mut data: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(31)).collect();
    let key_bytes = mlguard_crypto::random::secret_bytes(32).map_err(|e| e.to_string())?;

    // Raw AES-256-GCM, one core: seal the buffer in place, frame by frame.
    let key =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key_bytes).map_err(|e| e.to_string())?);
    let raw = best(args.rounds, || {
        for (i, frame) in data.chunks_mut(args.frame_size).enumerate() {
            let mut nonce = [0u8; 12];
            let (_, counter) = nonce.split_at_mut(4);
            counter.copy_from_slice(&(i as u64).to_be_bytes());
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    frame,
                )
                .map_err(|e| e.to_string())?;
            let _ = std::hint::black_box(tag);
        }
        Ok(())
    })?;

    // Raw AES-256-GCM, one core, on one frame-sized buffer that stays in cache:
    // the cipher's ceiling on this machine, memory bandwidth aside.
    let mut frame = vec![0x5au8; args.frame_size];
    let frames = size / args.frame_size.max(1);
    let raw_cached = best(args.rounds, || {
        for i in 0..frames {
            let mut nonce = [0u8; 12];
            let (_, counter) = nonce.split_at_mut(4);
            counter.copy_from_slice(&(i as u64).to_be_bytes());
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    &mut frame,
                )
                .map_err(|e| e.to_string())?;
            let _ = std::hint::black_box(tag);
        }
        Ok(())
    })?;

    // The envelope format, memory to memory.
    let context: EncryptionContext = [("dataset", "train")].into_iter().collect();
    let mut sealed: Vec<u8> = Vec::with_capacity(size + size / args.frame_size * 64 + 4096);
    let encrypt = best(args.rounds, || {
        sealed.clear();
        envelope::encrypt(
            &key_bytes,
            "arn:aws:kms:us-east-1:111122223333:key/bench",
            &[0u8; 184],
            &context,
            args.frame_size,
            &data[..],
            &mut sealed,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    })?;
    let mut plain: Vec<u8> = Vec::with_capacity(size);
    let decrypt = best(args.rounds, || {
        plain.clear();
        let mut input = &sealed[..];
        let header = envelope::read_header(&mut input).map_err(|e| e.to_string())?;
        envelope::decrypt(&key_bytes, &header, input, &mut plain)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })?;
    if plain != data {
        return Err("decrypted data differ from the input".into());
    }
    // The positional paths, which `mlguard encrypt`/`decrypt` use for regular files.
    let encrypt_at = best(args.rounds, || {
        sealed.clear();
        envelope::encrypt_at(
            &key_bytes,
            "arn:aws:kms:us-east-1:111122223333:key/bench",
            &[0u8; 184],
            &context,
            args.frame_size,
            &data[..],
            size as u64,
            &mut sealed,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    })?;
    let decrypt_at = best(args.rounds, || {
        plain.clear();
        let mut input = &sealed[..];
        let header = envelope::read_header(&mut input).map_err(|e| e.to_string())?;
        envelope::decrypt_at(
            &key_bytes,
            &header,
            &sealed[..],
            sealed.len() as u64,
            &mut plain,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    })?;
    if plain != data {
        return Err("positionally decrypted data differ from the input".into());
    }
    data.clear();

    let gbps = |secs: f64| size as f64 / secs / 1e9;
    println!(
        "{}",
        serde_json::json!({
            "bytes": size,
            "frame_size": args.frame_size,
            "raw_aes_256_gcm_gbps": gbps(raw),
            "raw_aes_256_gcm_in_cache_gbps": (frames * args.frame_size) as f64 / raw_cached / 1e9,
            "envelope_encrypt_gbps": gbps(encrypt),
            "envelope_decrypt_gbps": gbps(decrypt),
            "envelope_encrypt_at_gbps": gbps(encrypt_at),
            "envelope_decrypt_at_gbps": gbps(decrypt_at),
        })
    );
    Ok(())
}
