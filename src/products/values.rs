//! The catalogue's checked values: a SKU and a list price. Each is built by
//! a `parse` that refuses bad input with a `VALIDATION` error naming the field.

use rust_decimal::Decimal;

use crate::{Error, Result, money::Currency};

/// A stock-keeping unit: 1–64 characters of `A–Z a–z 0–9 . _ -`, trimmed.
/// Case is kept as given; uniqueness is exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sku(String);

impl Sku {
    pub const MAX: usize = 64;

    pub fn parse(field: &str, value: &str) -> Result<Sku> {
        let value = value.trim();
        if value.is_empty() || value.len() > Self::MAX {
            return Err(Error::validation(
                field,
                format!("must be 1 to {} characters", Self::MAX),
            ));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(Error::validation(
                field,
                "may hold only letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(Sku(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A unit list price in one currency.
///
/// The rule: not negative, at most [`ListPrice::MAX_DECIMALS`] decimal places
/// whatever the currency's minor unit (a unit price may be finer than a cent,
/// or than a yen: 0.0125 EUR per API call), and below one trillion units. Quote
/// totals are rounded to the currency's minor unit later, in one place
/// (`money::Money::rounded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListPrice {
    pub amount: Decimal,
    pub currency: Currency,
}

impl ListPrice {
    pub const MAX_DECIMALS: u32 = 4;

    /// `amount_field` and `currency_field` name the inputs for errors.
    pub fn parse(
        amount_field: &str,
        currency_field: &str,
        amount: Decimal,
        currency: &str,
    ) -> Result<ListPrice> {
        let currency = Currency::parse(currency_field, currency.trim())?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Error::validation(amount_field, "must not be negative"));
        }
        let amount = amount.normalize();
        if amount.scale() > Self::MAX_DECIMALS {
            return Err(Error::validation(
                amount_field,
                format!("allows at most {} decimal places", Self::MAX_DECIMALS),
            ));
        }
        if amount >= Decimal::from(1_000_000_000_000_i64) {
            return Err(Error::validation(amount_field, "is too large"));
        }
        Ok(ListPrice { amount, currency })
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
    fn skus_are_trimmed_and_limited_to_a_safe_alphabet() {
        assert_eq!(
            Sku::parse("sku", "  AB-1.x_2 ").map(Sku::into_string).ok(),
            Some("AB-1.x_2".to_owned())
        );
        for bad in ["", "   ", "a b", "é1", "a/b", &"x".repeat(65)] {
            assert!(Sku::parse("sku", bad).is_err(), "{bad:?}");
        }
        assert!(Sku::parse("sku", &"x".repeat(64)).is_ok());
    }

    #[test]
    fn list_prices_allow_sub_cent_precision_but_not_more() {
        assert!(ListPrice::parse("p", "c", dec("0.0125"), "EUR").is_ok());
        assert!(ListPrice::parse("p", "c", dec("1500"), "JPY").is_ok());
        assert!(ListPrice::parse("p", "c", dec("12.50000"), "EUR").is_ok());
        assert!(ListPrice::parse("p", "c", dec("0.00001"), "EUR").is_err());
        assert!(ListPrice::parse("p", "c", dec("-1"), "EUR").is_err());
        assert!(ListPrice::parse("p", "c", dec("1"), "XYZ").is_err());
        assert!(ListPrice::parse("p", "c", dec("1000000000000"), "EUR").is_err());
    }
}
