//! The `Money` type of the schema: an exact decimal string and its currency.

use async_graphql::{InputObject, SimpleObject};
use entity::DecimalText;
use rust_decimal::Decimal;

/// An exact amount in an ISO 4217 currency. `amount` is a decimal string,
/// never a float: `"1234.50"`.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Money")]
pub struct MoneyOut {
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
}

impl From<crate::money::Money> for MoneyOut {
    fn from(m: crate::money::Money) -> Self {
        MoneyOut {
            amount: m.amount,
            currency: m.currency.code().to_owned(),
        }
    }
}

impl MoneyOut {
    /// From stored minor units; a code ltc does not know (never written by
    /// ltc itself) shows the raw minor units rather than failing the field.
    pub fn in_minor_units(minor: i64, currency: &str) -> MoneyOut {
        match crate::money::Currency::parse("currency", currency) {
            Ok(c) => crate::money::Money::from_minor(minor, c).into(),
            Err(_) => MoneyOut {
                amount: Decimal::from(minor),
                currency: currency.to_owned(),
            },
        }
    }

    /// From stored minor units and currency code.
    pub fn from_minor(minor: Option<i64>, currency: Option<&str>) -> Option<MoneyOut> {
        let currency = crate::money::Currency::parse("currency", currency?).ok()?;
        let money = crate::money::Money::from_minor(minor?, currency);
        Some(MoneyOut {
            amount: money.amount,
            currency: currency.code().to_owned(),
        })
    }

    pub fn from_parts(amount: Option<DecimalText>, currency: Option<&str>) -> Option<MoneyOut> {
        match (amount, currency) {
            (Some(amount), Some(currency)) => Some(MoneyOut {
                amount: amount.0,
                currency: currency.to_owned(),
            }),
            _ => None,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// A decimal string with at most the currency's minor-unit digits.
    pub amount: Decimal,
    pub currency: String,
}
