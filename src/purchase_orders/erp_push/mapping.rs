//! From a PO's rows to the [`SalesOrder`] the adapters send: the mapped
//! fields (the account's ERP customer ref, each product's ERP item code)
//! must be there, or the push fails with a message saying what to set.

use entity::enums::PurchaseOrderStatus;
use rust_decimal::Decimal;

use super::repo::OrderParts;
use crate::{
    connectors::erp::{SalesOrder, SalesOrderLine, client::idempotency_key},
    money::Currency,
};

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// An amount written with all of its currency's decimals: `1000.00`.
fn at_scale(amount: Decimal, currency: Option<Currency>) -> Decimal {
    let mut amount = amount;
    if let Some(currency) = currency {
        amount.rescale(currency.minor_unit());
    }
    amount
}

/// The sales order for a PO, or every reason it cannot be made yet.
pub fn sales_order(parts: &OrderParts) -> Result<SalesOrder, String> {
    let order = &parts.order;
    if order.status == PurchaseOrderStatus::Cancelled {
        return Err("the purchase order was cancelled before it reached the ERP".into());
    }
    let mut problems = Vec::new();
    let currency = Currency::parse("currency", &order.currency).ok();
    let customer_ref = match &parts.account {
        None => {
            problems.push("the purchase order's account no longer exists".to_owned());
            None
        }
        Some(account) => {
            let found = present(account.erp_customer_ref.as_deref());
            if found.is_none() {
                problems.push(format!(
                    "account {:?} has no ERP customer ref (erpCustomerRef)",
                    account.name
                ));
            }
            found
        }
    };
    let mut unmapped = Vec::new();
    let mut lines = Vec::with_capacity(parts.lines.len());
    for part in &parts.lines {
        let Some(product) = &part.product else {
            problems.push(format!(
                "the product of contract line {} no longer exists",
                part.line.contract_line_id
            ));
            continue;
        };
        let Some(item_code) = present(product.erp_item_code.as_deref()) else {
            unmapped.push(product.sku.clone());
            continue;
        };
        let quantity = part.line.quantity.0;
        let net = part.line.net.0;
        let unit_price = if quantity.is_zero() {
            Decimal::ZERO
        } else {
            (net / quantity).round_dp(6).normalize()
        };
        lines.push(SalesOrderLine {
            item_code: item_code.to_owned(),
            quantity: quantity.normalize(),
            unit_price,
            net: at_scale(net, currency),
        });
    }
    if !unmapped.is_empty() {
        unmapped.dedup();
        problems.push(format!(
            "products without an ERP item code (erpItemCode): {}",
            unmapped.join(", ")
        ));
    }
    if parts.lines.is_empty() {
        problems.push("the purchase order has no lines".into());
    }
    let Some(customer_ref) = customer_ref.filter(|_| problems.is_empty()) else {
        return Err(format!(
            "cannot map the purchase order to the ERP: {}; set them, then retry",
            problems.join("; ")
        ));
    };
    let day = order.created_at.date_naive();
    Ok(SalesOrder {
        purchase_order_id: order.id,
        idempotency_key: idempotency_key(order.id),
        po_number: order.po_number.clone(),
        customer_ref: customer_ref.to_owned(),
        currency: order.currency.clone(),
        order_date: day,
        delivery_date: day,
        net: lines.iter().map(|l| l.net).sum(),
        lines,
        total: at_scale(order.total.0, currency),
    })
}
