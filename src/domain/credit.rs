//! Credits outside of bookings: members' requests for credits and what a credit is
//! worth on this site.

/// Where a member's request for credits stands: `open` until an admin grants or
/// declines it or the member withdraws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditRequestStatus {
    Open,
    Granted,
    Declined,
    Withdrawn,
}

impl CreditRequestStatus {
    pub const ALL: [Self; 4] = [Self::Open, Self::Granted, Self::Declined, Self::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Granted => "granted",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

impl std::fmt::Display for CreditRequestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most credits one request may ask for.
pub const MAX_REQUEST: i64 = 10_000;

/// What one credit is worth in money, as the operator states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditValue {
    /// In the currency's smallest unit (cents).
    pub cents: i64,
    /// ISO 4217, upper case.
    pub currency: String,
}

impl CreditValue {
    /// Parses `1.00 USD`, `0.5 eur` or `2 GBP`: a positive amount with at most two
    /// decimals, a space, a three-letter currency code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let wrong = || format!("`{raw}`: expected an amount and a currency, e.g. `1.00 USD`");
        let (amount, currency) = raw.trim().split_once(' ').ok_or_else(wrong)?;
        let currency = currency.trim();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(wrong());
        }
        let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || frac.len() > 2 || (!frac.is_empty() && !digits(frac)) {
            return Err(wrong());
        }
        let whole: i64 = whole.parse().map_err(|_| wrong())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| wrong())?;
        let cents = whole.checked_mul(100).and_then(|w| w.checked_add(frac));
        match cents {
            Some(cents) if cents > 0 => Ok(Self {
                cents,
                currency: currency.to_ascii_uppercase(),
            }),
            _ => Err(wrong()),
        }
    }

    /// "1 credit = 1.00 USD".
    pub fn sentence(&self) -> String {
        format!(
            "1 credit = {}.{:02} {}",
            self.cents / 100,
            self.cents % 100,
            self.currency
        )
    }
}

/// What a credit is worth when the operator did not say: the price per credit of the
/// smallest pack on sale (rounded to the cent), noting when bigger packs are cheaper.
/// `None` when nothing is on sale.
pub fn worth_from_packs(packs: &[super::payment::CreditPack]) -> Option<String> {
    let smallest = packs
        .iter()
        .filter(|p| p.credits > 0)
        .min_by_key(|p| p.credits)?;
    let per = |p: &super::payment::CreditPack| (p.amount_cents * 2 + p.credits) / (2 * p.credits);
    let value = CreditValue {
        cents: per(smallest),
        currency: smallest.currency.to_ascii_uppercase(),
    };
    let cheaper = packs
        .iter()
        .any(|p| p.currency == smallest.currency && p.credits > 0 && per(p) < value.cents);
    Some(if cheaper {
        format!("{}, less in bigger packs", value.sentence())
    } else {
        value.sentence()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payment::parse_packs;

    #[test]
    fn a_credit_value_reads_an_amount_and_a_currency() {
        let v = CreditValue::parse("1.5 usd").unwrap();
        assert_eq!((v.cents, v.currency.as_str()), (150, "USD"));
        assert_eq!(v.sentence(), "1 credit = 1.50 USD");
        assert_eq!(CreditValue::parse(" 2 EUR ").unwrap().cents, 200);
        assert_eq!(CreditValue::parse("0.05 GBP").unwrap().cents, 5);
        for bad in [
            "",
            "1",
            "USD",
            "1.234 USD",
            "-1 USD",
            "0 USD",
            "1,00 USD",
            "1 US",
            "1 U$D",
            ".5 USD",
            "99999999999999999999 USD",
        ] {
            assert!(CreditValue::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_worth_of_a_credit_comes_from_the_smallest_pack() {
        let packs = parse_packs("a:10:1000:usd,b:100:8000:usd").unwrap();
        assert_eq!(
            worth_from_packs(&packs).as_deref(),
            Some("1 credit = 1.00 USD, less in bigger packs")
        );
        let flat = parse_packs("a:3:1000:eur").unwrap();
        assert_eq!(
            worth_from_packs(&flat).as_deref(),
            Some("1 credit = 3.33 EUR")
        );
        assert_eq!(worth_from_packs(&[]), None);
    }
}
