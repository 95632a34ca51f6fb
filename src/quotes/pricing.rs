//! Quote totals, computed exactly in decimal and rounded half to even at the
//! currency's minor unit (`money::Money::rounded`: JPY 0 digits, EUR 2, KWD 3).
//!
//! The rule, for a line with quantity `q`, unit price `p` and discount
//! percent `d`, and a quote with tax rate `r` (a fraction):
//!
//! | amount | definition |
//! |---|---|
//! | line gross | `round(q × p)` |
//! | line net | `round(q × p × (1 − d/100))` |
//! | subtotal | `Σ gross` |
//! | discount total | `Σ (gross − net)` |
//! | net total | `subtotal − discount total` (which is `Σ net`) |
//! | tax | `round(net total × r)` |
//! | total | `net total + tax` |
//! | discount percent | `discount total / subtotal × 100`, 0 when the subtotal is 0 |
//!
//! Each line is rounded once, from the exact product, so a line's figures do
//! not depend on the other lines; sums of rounded amounts need no rounding.
//! The discount percent is kept exact for the approval thresholds (see
//! [`Totals::passes_total_threshold`]) and shown rounded to two decimals.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::{
    Error, Result,
    money::{Currency, Money},
};

/// What a line contributes to pricing, already validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// Percent, 0 to 100.
    pub discount_percent: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineAmounts {
    pub gross: Decimal,
    pub net: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    pub lines: Vec<LineAmounts>,
    pub subtotal: Decimal,
    pub discount_total: Decimal,
    pub net_total: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

fn too_large(field: String) -> Error {
    Error::validation(field, "makes an amount too large to compute")
}

/// Prices `lines` in `currency` with `tax_rate`. Fails only when an amount
/// overflows, naming the line (`lines[i].quantity`) or `taxRate`.
pub fn price(currency: Currency, lines: &[Line], tax_rate: Decimal) -> Result<Totals> {
    let hundred = Decimal::ONE_HUNDRED;
    let mut amounts = Vec::with_capacity(lines.len());
    let mut subtotal = Decimal::ZERO;
    let mut discount_total = Decimal::ZERO;
    for (i, line) in lines.iter().enumerate() {
        let field = || format!("lines[{i}].quantity");
        let exact = line
            .quantity
            .checked_mul(line.unit_price)
            .ok_or_else(|| too_large(field()))?;
        let kept = (hundred - line.discount_percent) / hundred;
        let exact_net = exact.checked_mul(kept).ok_or_else(|| too_large(field()))?;
        let gross = Money::rounded(exact, currency).amount;
        let net = Money::rounded(exact_net, currency).amount;
        subtotal = subtotal
            .checked_add(gross)
            .ok_or_else(|| too_large(field()))?;
        discount_total = discount_total
            .checked_add(gross - net)
            .ok_or_else(|| too_large(field()))?;
        amounts.push(LineAmounts { gross, net });
    }
    let net_total = subtotal - discount_total;
    let exact_tax = net_total
        .checked_mul(tax_rate)
        .ok_or_else(|| too_large("taxRate".into()))?;
    let tax = Money::rounded(exact_tax, currency).amount;
    let total = net_total
        .checked_add(tax)
        .ok_or_else(|| too_large("taxRate".into()))?;
    Ok(Totals {
        lines: amounts,
        subtotal,
        discount_total,
        net_total,
        tax,
        total,
    })
}

/// `discount total / subtotal × 100`, 0 for a zero subtotal, rounded half to
/// even and shown with exactly two decimals (`"10.00"`).
pub fn discount_percent(subtotal: Decimal, discount_total: Decimal) -> Decimal {
    let mut percent = if subtotal.is_zero() {
        Decimal::ZERO
    } else {
        (discount_total * Decimal::ONE_HUNDRED / subtotal)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
    };
    percent.rescale(2);
    percent
}

impl Totals {
    /// True when the overall discount is strictly above `threshold` percent.
    /// Compared exactly (`discount × 100 > threshold × subtotal`), never on
    /// the rounded figure.
    pub fn passes_total_threshold(&self, threshold: Decimal) -> bool {
        exceeds(self.subtotal, self.discount_total, threshold)
    }
}

/// `discount_total / subtotal × 100 > threshold`, without dividing.
pub fn exceeds(subtotal: Decimal, discount_total: Decimal, threshold: Decimal) -> bool {
    if subtotal.is_zero() {
        return false;
    }
    match (
        discount_total.checked_mul(Decimal::ONE_HUNDRED),
        threshold.checked_mul(subtotal),
    ) {
        (Some(lhs), Some(rhs)) => lhs > rhs,
        // Only astronomically large amounts overflow; judge by the quotient.
        _ => discount_total / subtotal * Decimal::ONE_HUNDRED > threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn cur(code: &str) -> Currency {
        Currency::parse("currency", code).unwrap_or_else(|e| panic!("{e}"))
    }

    fn line(q: &str, p: &str, d: &str) -> Line {
        Line {
            quantity: dec(q),
            unit_price: dec(p),
            discount_percent: dec(d),
        }
    }

    /// Worked by hand:
    /// - line 1: 3 × 19.99 = 59.97 gross; 59.97 × 0.875 = 52.47375 → 52.47 net
    /// - line 2: 2.5 × 10.01 = 25.025 → 25.02 gross (half to even);
    ///   25.025 × 0.9 = 22.5225 → 22.52 net
    /// - subtotal 59.97 + 25.02 = 84.99; discount (7.50 + 2.50) = 10.00
    /// - net total 74.99; tax 74.99 × 0.19 = 14.2481 → 14.25; total 89.24
    /// - discount percent 10.00 / 84.99 × 100 = 11.7660... → 11.77
    #[test]
    fn totals_follow_the_documented_rule_in_eur() {
        let totals = price(
            cur("EUR"),
            &[line("3", "19.99", "12.5"), line("2.5", "10.01", "10")],
            dec("0.19"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            totals.lines,
            vec![
                LineAmounts {
                    gross: dec("59.97"),
                    net: dec("52.47")
                },
                LineAmounts {
                    gross: dec("25.02"),
                    net: dec("22.52")
                },
            ]
        );
        assert_eq!(totals.subtotal, dec("84.99"));
        assert_eq!(totals.discount_total, dec("10.00"));
        assert_eq!(totals.net_total, dec("74.99"));
        assert_eq!(totals.tax, dec("14.25"));
        assert_eq!(totals.total, dec("89.24"));
        assert_eq!(
            discount_percent(totals.subtotal, totals.discount_total),
            dec("11.77")
        );
        assert!(totals.passes_total_threshold(dec("10")));
        assert!(!totals.passes_total_threshold(dec("12")));
    }

    /// JPY has no minor digits: 3 × 333.5 = 1000.5 → 1000 (even);
    /// net 1000.5 × 0.95 = 950.475 → 950; tax 950 × 0.1 = 95; total 1045.
    /// KWD has three: 1.0005 × 1 → 1.000 (even); tax 1.000 × 0.05 = 0.05.
    #[test]
    fn rounding_follows_each_currencys_minor_unit() {
        let jpy = price(cur("JPY"), &[line("3", "333.5", "5")], dec("0.1"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(jpy.subtotal, dec("1000"));
        assert_eq!(jpy.lines[0].net, dec("950"));
        assert_eq!(jpy.discount_total, dec("50"));
        assert_eq!(jpy.tax, dec("95"));
        assert_eq!(jpy.total, dec("1045"));

        let kwd = price(cur("KWD"), &[line("1", "1.0005", "0")], dec("0.05"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kwd.subtotal, dec("1.000"));
        assert_eq!(kwd.tax, dec("0.050"));
        assert_eq!(kwd.total, dec("1.050"));
    }

    #[test]
    fn a_zero_subtotal_has_no_discount_percent() {
        let free = price(cur("USD"), &[line("1", "0", "50")], Decimal::ZERO)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(free.total, Decimal::ZERO);
        assert_eq!(
            discount_percent(free.subtotal, free.discount_total),
            dec("0")
        );
        assert!(!free.passes_total_threshold(Decimal::ZERO));
    }

    #[test]
    fn a_discount_exactly_at_the_threshold_does_not_pass_it() {
        let at = price(cur("EUR"), &[line("1", "100", "10")], Decimal::ZERO)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!at.passes_total_threshold(dec("10")));
        assert!(at.passes_total_threshold(dec("9.99")));
        assert_eq!(
            discount_percent(at.subtotal, at.discount_total).to_string(),
            "10.00"
        );
    }

    #[test]
    fn overflowing_amounts_are_refused_not_panicked_on() {
        let huge = "79228162514264337593543950335";
        let err = price(cur("EUR"), &[line(huge, "2", "0")], Decimal::ZERO);
        assert!(
            matches!(err, Err(Error::Validation { field, .. }) if field == "lines[0].quantity")
        );
    }
}
