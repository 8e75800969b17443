//! Secrets kept at rest: a connected calendar's password is sealed with
//! ChaCha20-Poly1305 under a 32-byte key from configuration, bound to what it belongs
//! to (the associated data), and stored as base64 of `nonce ‖ ciphertext ‖ tag`. Pure
//! functions over bytes; a fresh random nonce per seal.

use base64::{Engine, engine::general_purpose::STANDARD};
use ring::aead::{self, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

/// Reads a key given as base64 (standard or URL-safe, padded or not) or as 64 hex
/// digits; it must be exactly 32 bytes.
pub fn parse_key(raw: &str) -> Result<[u8; 32], String> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(raw).map_err(|e| e.to_string())?
    } else {
        let cleaned: String = raw
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(cleaned)
            .map_err(|_| "not base64 or hex".to_string())?
    };
    bytes.try_into().map_err(|b: Vec<u8>| {
        format!(
            "{} bytes; it must be 32 (e.g. `openssl rand -base64 32`)",
            b.len()
        )
    })
}

fn key(k: &[u8; 32]) -> LessSafeKey {
    // A 32-byte key is always the right length for ChaCha20-Poly1305.
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, k).expect("a 32-byte key"))
}

/// Seals `plain` for `context` (e.g. the owner's id).
pub fn seal(k: &[u8; 32], context: &str, plain: &str) -> String {
    let mut nonce = [0u8; aead::NONCE_LEN];
    getrandom::fill(&mut nonce).expect("the operating system's random source failed");
    let mut buf = plain.as_bytes().to_vec();
    key(k)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context.as_bytes()),
            &mut buf,
        )
        .expect("sealing a short secret");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    STANDARD.encode(out)
}

/// Opens what [`seal`] made for the same `context`; `None` when the key is another,
/// the context differs or the text was altered.
pub fn open(k: &[u8; 32], context: &str, sealed: &str) -> Option<String> {
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < aead::NONCE_LEN {
        return None;
    }
    let (nonce, rest) = bytes.split_at(aead::NONCE_LEN);
    let mut buf = rest.to_vec();
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let plain = key(k)
        .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
        .ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_context() {
        let k = [7u8; 32];
        let sealed = seal(&k, "user-1", "app password");
        assert!(!sealed.contains("app password"));
        assert_eq!(open(&k, "user-1", &sealed).as_deref(), Some("app password"));
        assert_eq!(open(&k, "user-2", &sealed), None);
        assert_eq!(open(&[8u8; 32], "user-1", &sealed), None);
        // Two seals of one secret differ (fresh nonces).
        assert_ne!(seal(&k, "user-1", "x"), seal(&k, "user-1", "x"));
        // Tampering is noticed.
        let mut raw = STANDARD.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(open(&k, "user-1", &STANDARD.encode(raw)), None);
        assert_eq!(open(&k, "user-1", "not base64!"), None);
    }

    #[test]
    fn reads_keys_in_base64_and_hex() {
        let k = [0xabu8; 32];
        assert_eq!(parse_key(&STANDARD.encode(k)).unwrap(), k);
        assert_eq!(parse_key(&hex::encode(k)).unwrap(), k);
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xfbu8; 32]);
        assert_eq!(parse_key(&url_safe).unwrap(), [0xfbu8; 32]);
        assert!(parse_key("c2hvcnQ=").unwrap_err().contains("5 bytes"));
        assert!(parse_key("???").is_err());
    }
}
