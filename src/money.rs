//! Money: an exact decimal amount with an ISO 4217 currency. Rounding to the
//! currency's minor unit happens here and nowhere else.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::{Error, Result};

/// A currency ltc knows the minor unit of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Accepts an ISO 4217 alphabetic code, e.g. `EUR`; `field` names the input for the error.
    pub fn parse(field: &str, code: &str) -> Result<Currency> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::validation(
                field,
                "must be a three-letter ISO 4217 code such as EUR",
            ));
        }
        iso_currency::Currency::from_code(code)
            .filter(|c| c.exponent().is_some())
            .map(Currency)
            .ok_or_else(|| Error::validation(field, format!("{code} is not an ISO 4217 currency")))
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point: JPY 0, EUR 2, KWD 3.
    pub fn minor_unit(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(2))
    }
}

/// How a client wrote a decimal: as text, as a JSON integer, or as a JSON
/// float (whose binary value is not the decimal the client wrote).
pub enum Written<'a> {
    Text(&'a str),
    Integer(String),
    Float,
}

/// Largest magnitude of any decimal input: 15 integer digits. The domain
/// narrows amounts, quantities and percentages further; this bound keeps
/// every product and sum of inputs far from `Decimal`'s limit.
const INPUT_DIGITS: u32 = 15;
/// Most decimal places of any decimal input.
const INPUT_SCALE: u32 = 10;

/// A decimal input, on every edge (GraphQL, webhooks): text or an integer,
/// never a float, at most 15 digits before the point and 10 after.
pub fn decimal_input(written: Written<'_>) -> std::result::Result<Decimal, String> {
    use std::str::FromStr;
    let parsed = match written {
        Written::Text(text) => Decimal::from_str(text.trim())
            .map_err(|_| "must be a decimal number in a string, like \"1250.50\"".to_owned())?,
        Written::Integer(digits) => {
            Decimal::from_str(&digits).map_err(|_| "is too large".to_owned())?
        }
        Written::Float => {
            return Err("send decimals as strings (\"12.50\"): a JSON float is not exact".into());
        }
    };
    if parsed.abs() >= Decimal::from(10u64.pow(INPUT_DIGITS)) {
        return Err(format!(
            "must have at most {INPUT_DIGITS} digits before the decimal point"
        ));
    }
    if parsed.normalize().scale() > INPUT_SCALE {
        return Err(format!("must have at most {INPUT_SCALE} decimal places"));
    }
    Ok(parsed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    /// A non-negative amount with no more digits than the currency has.
    pub fn parse(field: &str, amount: Decimal, currency: &str) -> Result<Money> {
        let currency = Currency::parse(&format!("{field}.currency"), currency)?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Error::validation(
                format!("{field}.amount"),
                "must not be negative",
            ));
        }
        if amount.normalize().scale() > currency.minor_unit() {
            return Err(Error::validation(
                format!("{field}.amount"),
                format!(
                    "{} allows {} decimal places",
                    currency.code(),
                    currency.minor_unit()
                ),
            ));
        }
        Ok(Money { amount, currency })
    }

    /// The amount in minor units (cents), as stored for sorting and summing.
    /// The amount must already fit the currency's minor unit.
    pub fn to_minor(self) -> Result<i64> {
        let scaled = self.amount * Decimal::from(10_i64.pow(self.currency.minor_unit()));
        if !scaled.fract().is_zero() {
            return Err(Error::validation(
                "amount",
                "has more digits than the currency allows",
            ));
        }
        i64::try_from(scaled).map_err(|_| Error::validation("amount", "is too large"))
    }

    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money {
            amount: Decimal::new(minor, currency.minor_unit()),
            currency,
        }
    }

    /// Rounds half to even at the currency's minor unit.
    pub fn rounded(amount: Decimal, currency: Currency) -> Money {
        Money {
            amount: amount.round_dp_with_strategy(
                currency.minor_unit(),
                RoundingStrategy::MidpointNearestEven,
            ),
            currency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn rounding_follows_each_currencys_minor_unit_half_to_even() {
        let jpy = Currency::parse("c", "JPY").unwrap_or_else(|e| panic!("{e}"));
        let eur = Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e}"));
        let kwd = Currency::parse("c", "KWD").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Money::rounded(dec("2.5"), jpy).amount, dec("2"));
        assert_eq!(Money::rounded(dec("0.125"), eur).amount, dec("0.12"));
        assert_eq!(Money::rounded(dec("0.135"), eur).amount, dec("0.14"));
        assert_eq!(Money::rounded(dec("1.0005"), kwd).amount, dec("1.000"));
    }

    #[test]
    fn minor_units_round_trip() {
        let jpy = Currency::parse("c", "JPY").unwrap();
        let kwd = Currency::parse("c", "KWD").unwrap();
        let m = Money::parse("m", dec("1234.567"), "KWD").unwrap();
        assert_eq!(m.to_minor().unwrap(), 1_234_567);
        assert_eq!(Money::from_minor(1_234_567, kwd).amount, dec("1234.567"));
        assert_eq!(Money::from_minor(500, jpy).amount, dec("500"));
    }

    #[test]
    fn bad_money_is_refused() {
        assert!(Currency::parse("c", "usd").is_err());
        assert!(Currency::parse("c", "XYZ").is_err());
        assert!(Money::parse("budget", dec("-1"), "EUR").is_err());
        assert!(Money::parse("budget", dec("1.001"), "EUR").is_err());
        assert!(Money::parse("budget", dec("1.5"), "JPY").is_err());
        assert!(Money::parse("budget", dec("1.50"), "EUR").is_ok());
    }
}
