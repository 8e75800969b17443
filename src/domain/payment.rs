//! Buying credits: the operator's credit packs, the payment state machine, Stripe's
//! webhook signature, and how much of a refund comes back out of a wallet.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// A pack of credits for sale, as configured by the operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CreditPack {
    /// Stable id, used in checkout requests.
    pub id: String,
    pub credits: i64,
    /// Price in the currency's smallest unit (cents).
    pub amount_cents: i64,
    /// ISO 4217, lower case (`usd`, `eur`, …).
    pub currency: String,
}

/// The packs on sale when the operator configures none.
pub const DEFAULT_PACKS: &str = "pack-10:10:1000:usd,pack-50:50:4500:usd,pack-100:100:8000:usd";

/// Parses `id:credits:amount_cents:currency` entries, comma-separated.
pub fn parse_packs(raw: &str) -> Result<Vec<CreditPack>, String> {
    let mut packs: Vec<CreditPack> = vec![];
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
        let [id, credits, amount, currency] = parts.as_slice() else {
            return Err(format!(
                "credit pack `{entry}`: expected id:credits:amount_cents:currency"
            ));
        };
        let valid_id = !id.is_empty()
            && id.len() <= 40
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_id {
            return Err(format!(
                "credit pack `{entry}`: the id is 1-40 letters, digits, - or _"
            ));
        }
        let credits: i64 = credits
            .parse()
            .ok()
            .filter(|c| (1..=1_000_000).contains(c))
            .ok_or_else(|| format!("credit pack `{entry}`: credits must be 1-1000000"))?;
        // Stripe's minimum charge is about 0.50 in most currencies.
        let amount_cents: i64 = amount
            .parse()
            .ok()
            .filter(|a| (50..=99_999_999).contains(a))
            .ok_or_else(|| format!("credit pack `{entry}`: amount_cents must be 50-99999999"))?;
        let currency = currency.to_ascii_lowercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(format!(
                "credit pack `{entry}`: currency is a 3-letter ISO code"
            ));
        }
        if packs.iter().any(|p| p.id == *id) {
            return Err(format!("credit pack id `{id}` is used twice"));
        }
        packs.push(CreditPack {
            id: id.to_string(),
            credits,
            amount_cents,
            currency,
        });
    }
    if packs.is_empty() {
        return Err("no credit pack configured".into());
    }
    Ok(packs)
}

/// The cheapest way to get at least `needed` credits: one pack bought `count` times
/// (Checkout sells one line item with a quantity). `None` when nothing is needed.
pub fn packs_for(packs: &[CreditPack], needed: i64) -> Option<(&CreditPack, i64)> {
    if needed <= 0 {
        return None;
    }
    packs
        .iter()
        .map(|p| (p, (needed + p.credits - 1) / p.credits))
        .min_by_key(|(p, n)| (p.amount_cents.saturating_mul(*n), p.credits * n))
}

/// Where a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed, Self::Refunded]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// Whether a paid checkout may move the payment to `succeeded` (and grant its
    /// credits). A late "paid" after a "failed" still grants: the money was taken.
    pub fn may_succeed(self) -> bool {
        matches!(self, Self::Pending | Self::Failed)
    }

    /// Whether a failed or expired checkout may mark the payment failed: only while
    /// nothing better is known.
    pub fn may_fail(self) -> bool {
        self == Self::Pending
    }
}

/// Credits to take back for a refund: the refunded share of the payment's credits
/// (rounded down, so a customer is never charged credits for money they kept), less
/// what earlier refunds already took back.
pub fn credits_to_reclaim(
    credits: i64,
    amount_cents: i64,
    refunded_cents_total: i64,
    already_reclaimed: i64,
) -> i64 {
    if amount_cents <= 0 {
        return 0;
    }
    let refunded = refunded_cents_total.clamp(0, amount_cents);
    let due = (i128::from(credits) * i128::from(refunded) / i128::from(amount_cents)) as i64;
    (due - already_reclaimed).max(0)
}

/// Why a webhook signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    MissingHeader,
    Malformed,
    /// The timestamp is more than the tolerance away from now (a replay).
    Stale,
    /// No `v1` signature matches any configured secret.
    NoMatch,
}

impl SignatureError {
    pub fn message(&self) -> &'static str {
        match self {
            Self::MissingHeader => "The Stripe-Signature header is missing.",
            Self::Malformed => "The Stripe-Signature header is malformed.",
            Self::Stale => "The Stripe-Signature timestamp is outside the tolerance.",
            Self::NoMatch => "No signature matches the configured webhook secret.",
        }
    }
}

/// How far a signed timestamp may be from now.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 (RFC 2104) over `message` with `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The `Stripe-Signature` header value Stripe would send for `payload` at `timestamp`
/// (used by tests and the local stand-in).
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &signed))
    )
}

/// Verifies a `Stripe-Signature` header the way Stripe specifies: `t=` is the signing
/// time, each `v1=` a hex HMAC-SHA256 of `"{t}.{raw body}"`; the header is accepted
/// when the time is within the tolerance and any `v1` matches any of the secrets
/// (several during a rotation). Other schemes (`v0`) are ignored.
pub fn verify_signature(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[String],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::MissingHeader)?;
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = vec![];
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed);
        };
        match k {
            "t" => timestamp = Some(v.parse().map_err(|_| SignatureError::Malformed)?),
            "v1" => {
                if let Ok(bytes) = hex::decode(v) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoMatch);
    }
    if (now_secs - t).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(payload);
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        // `verify_slice` compares in constant time.
        let matches = |s: &Vec<u8>| {
            let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
                .expect("HMAC takes a key of any length");
            mac.update(&signed);
            mac.verify_slice(s).is_ok()
        };
        if signatures.iter().any(matches) {
            return Ok(());
        }
    }
    Err(SignatureError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block size.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    /// A vector computed independently the way Stripe's libraries do it (Python's
    /// `hmac.new(secret, f"{t}.{payload}", sha256).hexdigest()`).
    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &str = r#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const T: i64 = 1_700_000_000;
    const V1: &str = "a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b";

    #[test]
    fn signatures_verify_as_stripe_specifies() {
        let header = format!("t={T},v1={V1}");
        let secrets = vec![SECRET.to_string()];
        assert_eq!(sign(SECRET, T, PAYLOAD.as_bytes()), header);
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD.as_bytes(), &secrets, T + 10),
            Ok(())
        );
        // Several signatures (one per active secret) and unknown schemes.
        let many = format!("t={T},v0=deadbeef,v1={},v1={V1}", "00".repeat(32));
        assert_eq!(
            verify_signature(Some(&many), PAYLOAD.as_bytes(), &secrets, T),
            Ok(())
        );
        // A wrong secret, or a second secret during rotation.
        let wrong = vec!["whsec_other".to_string()];
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD.as_bytes(), &wrong, T),
            Err(SignatureError::NoMatch)
        );
        let rotating = vec!["whsec_new".to_string(), SECRET.to_string()];
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD.as_bytes(), &rotating, T),
            Ok(())
        );
        // One changed byte of the body.
        let changed = PAYLOAD.replace("evt_1", "evt_2");
        assert_eq!(
            verify_signature(Some(&header), changed.as_bytes(), &secrets, T),
            Err(SignatureError::NoMatch)
        );
        // A stale or future timestamp, even with a valid signature.
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD.as_bytes(), &secrets, T + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD.as_bytes(), &secrets, T - 301),
            Err(SignatureError::Stale)
        );
        // Missing or malformed headers.
        assert_eq!(
            verify_signature(None, PAYLOAD.as_bytes(), &secrets, T),
            Err(SignatureError::MissingHeader)
        );
        for bad in ["garbage", "t=abc,v1=00", &format!("v1={V1}")] {
            assert_eq!(
                verify_signature(Some(bad), PAYLOAD.as_bytes(), &secrets, T),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            verify_signature(Some(&format!("t={T}")), PAYLOAD.as_bytes(), &secrets, T),
            Err(SignatureError::NoMatch)
        );
        // No secret configured: nothing verifies.
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD.as_bytes(), &[], T),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn packs_parse_and_refuse_nonsense() {
        let packs = parse_packs(DEFAULT_PACKS).unwrap();
        assert_eq!(packs.len(), 3);
        assert_eq!(
            packs[0],
            CreditPack {
                id: "pack-10".into(),
                credits: 10,
                amount_cents: 1000,
                currency: "usd".into()
            }
        );
        assert_eq!(parse_packs(" a:1:100:EUR ").unwrap()[0].currency, "eur");
        for bad in [
            "",
            "a:1:100",
            "a:0:100:usd",
            "a:1:10:usd",
            "a:1:100:dollars",
            "a b:1:100:usd",
            "a:1:100:usd,a:2:200:usd",
        ] {
            assert!(parse_packs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cheapest_packs_cover_what_is_missing() {
        let packs = parse_packs(DEFAULT_PACKS).unwrap();
        assert_eq!(packs_for(&packs, 0), None);
        let (p, n) = packs_for(&packs, 7).unwrap();
        assert_eq!((p.id.as_str(), n), ("pack-10", 1));
        let (p, n) = packs_for(&packs, 45).unwrap();
        assert_eq!((p.id.as_str(), n), ("pack-50", 1), "45.00 beats 5 x 10.00");
        let (p, n) = packs_for(&packs, 120).unwrap();
        assert_eq!(
            (p.id.as_str(), n),
            ("pack-10", 12),
            "120.00 beats 135.00 and 160.00"
        );
    }

    #[test]
    fn refunds_reclaim_the_refunded_share_once() {
        assert_eq!(credits_to_reclaim(50, 4500, 4500, 0), 50);
        assert_eq!(credits_to_reclaim(50, 4500, 2250, 0), 25);
        assert_eq!(credits_to_reclaim(50, 4500, 4500, 25), 25, "the rest later");
        assert_eq!(credits_to_reclaim(50, 4500, 4500, 50), 0, "replayed");
        assert_eq!(credits_to_reclaim(10, 1000, 99, 0), 0, "rounded down");
        assert_eq!(
            credits_to_reclaim(10, 1000, 99_999, 0),
            10,
            "never more than bought"
        );
    }

    #[test]
    fn the_state_machine_only_moves_forward() {
        use PaymentStatus::*;
        assert!(Pending.may_succeed() && Failed.may_succeed());
        assert!(!Succeeded.may_succeed() && !Refunded.may_succeed());
        assert!(Pending.may_fail());
        assert!(!Succeeded.may_fail() && !Refunded.may_fail() && !Failed.may_fail());
        for s in [Pending, Succeeded, Failed, Refunded] {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
    }
}
