//! A quote's lines: checking what the caller gives, settling prices from the
//! catalogue, and turning them into totals (`pricing`) and rows.

use chrono::NaiveDate;
use entity::{DecimalText, quote, quote_line};
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    pricing::{self, Totals},
    repo,
};
use crate::{Error, Result, db, money::Currency};

/// Most lines one quote may have.
pub const MAX_LINES: usize = 500;

/// A line as the caller gives it.
#[derive(Clone, Debug)]
pub struct LineRequest {
    pub product_id: Uuid,
    pub quantity: Decimal,
    /// Replaces the list price when given.
    pub unit_price: Option<Decimal>,
    /// Percent, 0–100; none is 0.
    pub discount_percent: Option<Decimal>,
}

pub struct NewQuote {
    pub opportunity_id: Uuid,
    pub currency: String,
    pub valid_until: NaiveDate,
    pub tax_rate: Option<Decimal>,
    pub lines: Vec<LineRequest>,
}

/// What `updateQuote` changes; `None` leaves a field as it is, and `lines`
/// replaces all lines.
#[derive(Default)]
pub struct QuotePatch {
    pub valid_until: Option<NaiveDate>,
    pub tax_rate: Option<Decimal>,
    pub lines: Option<Vec<LineRequest>>,
}

/// A line after its input checks.
pub(super) struct CheckedLine {
    product_id: Uuid,
    quantity: Decimal,
    unit_price: Option<Decimal>,
    discount_percent: Decimal,
}

/// A line with its prices settled, ready to be totalled and stored.
pub(super) struct PricedLine {
    product_id: Uuid,
    quantity: Decimal,
    list_price: Decimal,
    unit_price: Decimal,
    price_overridden: bool,
    discount_percent: Decimal,
}

fn decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

pub(super) fn check_lines(lines: &[LineRequest]) -> Result<Vec<CheckedLine>> {
    if lines.is_empty() {
        return Err(Error::validation(
            "lines",
            "a quote needs at least one line",
        ));
    }
    if lines.len() > MAX_LINES {
        return Err(Error::validation(
            "lines",
            format!("a quote has at most {MAX_LINES} lines"),
        ));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let field = |name: &str| format!("lines[{i}].{name}");
            if line.quantity <= Decimal::ZERO {
                return Err(Error::validation(
                    field("quantity"),
                    "must be greater than zero",
                ));
            }
            if decimals(line.quantity) > 4 {
                return Err(Error::validation(
                    field("quantity"),
                    "allows at most 4 decimal places",
                ));
            }
            let discount = line.discount_percent.unwrap_or(Decimal::ZERO);
            if discount < Decimal::ZERO || discount > Decimal::ONE_HUNDRED {
                return Err(Error::validation(
                    field("discountPercent"),
                    "must be between 0 and 100",
                ));
            }
            if decimals(discount) > 4 {
                return Err(Error::validation(
                    field("discountPercent"),
                    "allows at most 4 decimal places",
                ));
            }
            if let Some(price) = line.unit_price {
                if price < Decimal::ZERO {
                    return Err(Error::validation(
                        field("unitPrice"),
                        "must not be negative",
                    ));
                }
                if decimals(price) > 6 {
                    return Err(Error::validation(
                        field("unitPrice"),
                        "allows at most 6 decimal places",
                    ));
                }
            }
            Ok(CheckedLine {
                product_id: line.product_id,
                quantity: line.quantity.normalize(),
                unit_price: line.unit_price.map(|p| p.normalize()),
                discount_percent: discount.normalize(),
            })
        })
        .collect()
}

/// A fraction: 0 ≤ rate < 1, at most 6 decimal places.
pub(super) fn check_tax_rate(rate: Decimal) -> Result<Decimal> {
    if rate < Decimal::ZERO || rate >= Decimal::ONE {
        return Err(Error::validation(
            "taxRate",
            "must be a fraction from 0 up to (not including) 1, e.g. 0.19",
        ));
    }
    if decimals(rate) > 6 {
        return Err(Error::validation(
            "taxRate",
            "allows at most 6 decimal places",
        ));
    }
    Ok(rate.normalize())
}

pub(super) fn check_valid_until(valid_until: NaiveDate, today: NaiveDate) -> Result<NaiveDate> {
    if valid_until < today {
        return Err(Error::validation("validUntil", "must not be in the past"));
    }
    Ok(valid_until)
}

/// Settles each line's prices from the catalogue: the product must exist,
/// be active and have a list price in the quote's currency.
pub(super) async fn price_from_catalogue(
    db: &impl ConnectionTrait,
    currency: Currency,
    lines: Vec<CheckedLine>,
) -> Result<Vec<PricedLine>> {
    let mut ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let catalogue = repo::products_priced_in(db, &ids, currency.code()).await?;
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let field = format!("lines[{i}].productId");
            let Some((product, price)) = catalogue.iter().find(|(p, _)| p.id == line.product_id)
            else {
                return Err(Error::validation(field, "no such product"));
            };
            if !product.active {
                return Err(Error::validation(
                    field,
                    format!("{} is inactive", product.sku),
                ));
            }
            let Some(price) = price else {
                return Err(Error::validation(
                    field,
                    format!("{} has no price in {}", product.sku, currency.code()),
                ));
            };
            Ok(PricedLine {
                product_id: line.product_id,
                quantity: line.quantity,
                list_price: price.list_price.0,
                unit_price: line.unit_price.unwrap_or(price.list_price.0),
                price_overridden: line.unit_price.is_some(),
                discount_percent: line.discount_percent,
            })
        })
        .collect()
}

/// The stored lines of a quote, as they were priced.
pub(super) fn priced_from_rows(rows: &[quote_line::Model]) -> Vec<PricedLine> {
    rows.iter()
        .map(|r| PricedLine {
            product_id: r.product_id,
            quantity: r.quantity.0,
            list_price: r.list_price.0,
            unit_price: r.unit_price.0,
            price_overridden: r.price_overridden,
            discount_percent: r.discount_percent.0,
        })
        .collect()
}

/// Totals `lines` and makes their rows for `quote_id`.
pub(super) fn total(
    quote_id: Uuid,
    currency: Currency,
    lines: &[PricedLine],
    tax_rate: Decimal,
) -> Result<(Vec<quote_line::Model>, Totals)> {
    let inputs: Vec<pricing::Line> = lines
        .iter()
        .map(|l| pricing::Line {
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount_percent: l.discount_percent,
        })
        .collect();
    let totals = pricing::price(currency, &inputs, tax_rate)?;
    let rows = lines
        .iter()
        .zip(&totals.lines)
        .enumerate()
        .map(|(i, (line, amounts))| quote_line::Model {
            id: db::new_id(),
            quote_id,
            position: i as i32 + 1,
            product_id: line.product_id,
            quantity: DecimalText(line.quantity),
            list_price: DecimalText(line.list_price),
            unit_price: DecimalText(line.unit_price),
            price_overridden: line.price_overridden,
            discount_percent: DecimalText(line.discount_percent),
            gross: DecimalText(amounts.gross),
            net: DecimalText(amounts.net),
        })
        .collect();
    Ok((rows, totals))
}

pub(super) fn apply_totals(quote: &mut quote::Model, totals: &Totals) {
    quote.subtotal = DecimalText(totals.subtotal);
    quote.discount_total = DecimalText(totals.discount_total);
    quote.tax = DecimalText(totals.tax);
    quote.total = DecimalText(totals.total);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: &str, discount: Option<&str>, price: Option<&str>) -> LineRequest {
        let dec = |s: &str| s.parse::<Decimal>().unwrap_or_else(|e| panic!("{s}: {e}"));
        LineRequest {
            product_id: Uuid::nil(),
            quantity: dec(quantity),
            unit_price: price.map(dec),
            discount_percent: discount.map(dec),
        }
    }

    fn refused_field(lines: &[LineRequest]) -> String {
        match check_lines(lines) {
            Err(Error::Validation { field, .. }) => field,
            Err(other) => panic!("unexpected {other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn bad_lines_are_refused_naming_the_line_and_field() {
        assert_eq!(refused_field(&[]), "lines");
        assert_eq!(
            refused_field(&[line("1", None, None), line("0", None, None)]),
            "lines[1].quantity"
        );
        assert_eq!(
            refused_field(&[line("-2", None, None)]),
            "lines[0].quantity"
        );
        assert_eq!(
            refused_field(&[line("1.00001", None, None)]),
            "lines[0].quantity"
        );
        assert_eq!(
            refused_field(&[line("1", Some("100.01"), None)]),
            "lines[0].discountPercent"
        );
        assert_eq!(
            refused_field(&[line("1", Some("-1"), None)]),
            "lines[0].discountPercent"
        );
        assert_eq!(
            refused_field(&[line("1", None, Some("-0.01"))]),
            "lines[0].unitPrice"
        );
        assert!(check_lines(&[line("1.2500", Some("100"), Some("0"))]).is_ok());
    }

    #[test]
    fn tax_rates_are_fractions_below_one() {
        let dec = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert!(check_tax_rate(dec("0")).is_ok());
        assert!(check_tax_rate(dec("0.19")).is_ok());
        assert!(check_tax_rate(dec("1")).is_err());
        assert!(check_tax_rate(dec("-0.1")).is_err());
        assert!(check_tax_rate(dec("19")).is_err());
    }
}
