//! How a PO's lines take their share of the contract's value, exactly.
//!
//! A PO line of quantity q on a contract line of quantity Q and net N is worth
//! round(N × q / Q); the line that completes the contract line takes what is
//! left, so the shares of all POs add up to N. A PO's value is its share of
//! the contract total (net plus tax): round(T × PO net / contract net), and
//! the PO that completes the contract takes the remainder, so all PO values
//! add up to T. Rounding is half-even at the currency's minor unit.

use rust_decimal::Decimal;

use crate::money::{Currency, Money};

/// One PO line's share of its contract line's net value.
pub fn line_share(
    currency: Currency,
    line_net: Decimal,
    line_quantity: Decimal,
    quantity: Decimal,
    drawn_before: Decimal,
    shares_before: Decimal,
) -> Decimal {
    if line_quantity.is_zero() {
        return Decimal::ZERO;
    }
    if drawn_before + quantity == line_quantity {
        return line_net - shares_before;
    }
    Money::rounded(line_net * quantity / line_quantity, currency).amount
}

/// A PO's value: its share of the contract total.
pub fn order_value(
    currency: Currency,
    contract_total: Decimal,
    contract_net: Decimal,
    order_net: Decimal,
    nets_before: Decimal,
    values_before: Decimal,
) -> Decimal {
    if contract_net.is_zero() {
        return Decimal::ZERO;
    }
    if nets_before + order_net == contract_net {
        return contract_total - values_before;
    }
    Money::rounded(contract_total * order_net / contract_net, currency).amount
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn thirds_add_up_to_the_whole_line() {
        let eur = Currency::parse("c", "EUR").unwrap();
        // 3 units worth 100.00: 33.33 + 33.33 + 33.34.
        let a = line_share(eur, d("100.00"), d("3"), d("1"), d("0"), d("0"));
        let b = line_share(eur, d("100.00"), d("3"), d("1"), d("1"), a);
        let c = line_share(eur, d("100.00"), d("3"), d("1"), d("2"), a + b);
        assert_eq!((a, b, c), (d("33.33"), d("33.33"), d("33.34")));
    }

    #[test]
    fn order_values_carry_the_tax_and_add_up_to_the_contract_total() {
        let eur = Currency::parse("c", "EUR").unwrap();
        // Net 1000.00, total 1190.00 with 19 % tax; POs of 333.33 and 666.67 net.
        let first = order_value(eur, d("1190.00"), d("1000.00"), d("333.33"), d("0"), d("0"));
        assert_eq!(first, d("396.66"));
        let second = order_value(
            eur,
            d("1190.00"),
            d("1000.00"),
            d("666.67"),
            d("333.33"),
            first,
        );
        assert_eq!(first + second, d("1190.00"));
    }
}
