//! Arbitrary bytes as a KMS ciphertext blob and as an envelope file: parsing and
//! decryption fail cleanly, never panic, never return plaintext for a forgery.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_crypto::blob::{SymmetricBlob, SymmetricKey};
use mlguard_crypto::{EncryptionContext, envelope};

fuzz_target!(|data: &[u8]| {
    let key = [7u8; 32];
    let Ok(aead) = SymmetricKey::new(&key) else { return };
    if let Ok(blob) = SymmetricBlob::parse(data) {
        assert!(aead.decrypt(&blob, &EncryptionContext::new()).is_err(), "forged blob decrypted");
    }
    let mut input = data;
    if let Ok(header) = envelope::read_header(&mut input) {
        let mut out = Vec::new();
        assert!(envelope::decrypt(&key, &header, input, &mut out).is_err(), "forged envelope decrypted");
        // The positional reader (regular files) takes the layout from the length.
        let mut out = Vec::new();
        assert!(
            envelope::decrypt_at(&key, &header, data, data.len() as u64, &mut out).is_err(),
            "forged envelope decrypted positionally"
        );
    }
    let _ = EncryptionContext::from_canonical_bytes(data);
});
