//! Exact decimals stored as text.
//!
//! SQLite has no decimal type and SeaORM reads SQLite decimals through `f64`,
//! which would lose cents. Storing the canonical string keeps every digit on
//! both databases; arithmetic happens in Rust with `rust_decimal`.

use std::{fmt, str::FromStr};

use rust_decimal::Decimal;
use sea_orm::DeriveValueType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, DeriveValueType)]
#[sea_orm(value_type = "String")]
pub struct DecimalText(pub Decimal);

impl fmt::Display for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.normalize().fmt(f)
    }
}

impl FromStr for DecimalText {
    type Err = rust_decimal::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::from_str_exact(s).map(DecimalText)
    }
}

impl From<Decimal> for DecimalText {
    fn from(value: Decimal) -> Self {
        DecimalText(value)
    }
}
