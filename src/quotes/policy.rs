//! The approval thresholds: a quote whose line or overall discount passes
//! them needs a sales manager's approval (LTC.md, "Quotes").

use clap::Args;

/// When a quote needs a sales manager's approval.
#[derive(Clone, Copy, Debug, Args)]
pub struct QuotePolicy {
    /// A line discount above this percent needs approval.
    #[arg(long = "quote-line-discount-threshold", env = "LTC_QUOTE_LINE_DISCOUNT_THRESHOLD", default_value_t = rust_decimal::Decimal::from(15))]
    pub line_discount_threshold: rust_decimal::Decimal,

    /// An overall discount (total discount over subtotal) above this percent needs approval.
    #[arg(long = "quote-total-discount-threshold", env = "LTC_QUOTE_TOTAL_DISCOUNT_THRESHOLD", default_value_t = rust_decimal::Decimal::from(10))]
    pub total_discount_threshold: rust_decimal::Decimal,
}

impl Default for QuotePolicy {
    fn default() -> Self {
        QuotePolicy {
            line_discount_threshold: rust_decimal::Decimal::from(15),
            total_discount_threshold: rust_decimal::Decimal::from(10),
        }
    }
}
