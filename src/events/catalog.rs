//! The events ltc raises: their names, who may see them, and how each is
//! built from the record it is about. Services call the builders here with
//! the rows they just wrote, so an event's shape lives in one place.

use entity::{
    contract,
    enums::{LeadStatus, OpportunityStage, ReceivableStatus},
    lead, opportunity, purchase_order, receivable,
};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use serde_json::{Value, json};

use super::Event;
use crate::{
    auth::Capability,
    money::{Currency, Money},
};

/// Whose rows an event is about, which decides who may receive it: a
/// subscriber must be able to read the event's subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Lead,
    Opportunity,
    Contract,
    PurchaseOrder,
    Receivable,
}

/// One kind of event.
#[derive(Debug)]
pub struct EventType {
    pub name: &'static str,
    pub description: &'static str,
    pub subject: Subject,
    /// What a subscriber needs to receive it (besides seeing the subject).
    pub capability: Capability,
}

pub const LEAD_QUALIFIED: &str = "lead.qualified";
pub const OPPORTUNITY_WON: &str = "opportunity.won";
pub const CONTRACT_SIGNED: &str = "contract.signed";
pub const PURCHASE_ORDER_CREATED: &str = "purchase_order.created";
pub const RECEIVABLE_PAID: &str = "receivable.paid";

/// Every event type, in the order of the Lead to Cash flow.
pub const TYPES: &[EventType] = &[
    EventType {
        name: LEAD_QUALIFIED,
        description: "a lead moved to QUALIFIED",
        subject: Subject::Lead,
        capability: Capability::ReadLeads,
    },
    EventType {
        name: OPPORTUNITY_WON,
        description: "an opportunity reached WON (by hand or by signing its contract)",
        subject: Subject::Opportunity,
        capability: Capability::ReadAccounts,
    },
    EventType {
        name: CONTRACT_SIGNED,
        description: "a contract was signed",
        subject: Subject::Contract,
        capability: Capability::ReadAccounts,
    },
    EventType {
        name: PURCHASE_ORDER_CREATED,
        description: "a customer's purchase order was recorded on a contract",
        subject: Subject::PurchaseOrder,
        capability: Capability::ReadOrders,
    },
    EventType {
        name: RECEIVABLE_PAID,
        description: "a receivable was paid in full",
        subject: Subject::Receivable,
        capability: Capability::ReadReceivables,
    },
];

pub fn find(name: &str) -> Option<&'static EventType> {
    TYPES.iter().find(|t| t.name == name)
}

/// Checks a list of event type names given by a caller; `field` names the
/// argument in the `VALIDATION` error.
pub fn parse_names(field: &str, names: &[String]) -> crate::Result<Vec<&'static str>> {
    let mut parsed: Vec<&'static str> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let Some(found) = find(name.trim()) else {
            let known: Vec<&str> = TYPES.iter().map(|t| t.name).collect();
            return Err(crate::Error::validation(
                format!("{field}[{i}]"),
                format!("unknown event type; known: {}", known.join(", ")),
            ));
        };
        if !parsed.contains(&found.name) {
            parsed.push(found.name);
        }
    }
    Ok(parsed)
}

/// An exact amount written with its currency's minor-unit digits (`"1000.00"`).
fn amount(value: Decimal, currency: &str) -> Value {
    match Currency::parse("currency", currency) {
        Ok(c) => {
            let mut rounded = Money::rounded(value, c).amount;
            rounded.rescale(c.minor_unit());
            json!({ "amount": rounded.to_string(), "currency": c.code() })
        }
        Err(_) => Value::Null,
    }
}

fn money(minor: i64, currency: &str) -> Value {
    match Currency::parse("currency", currency) {
        Ok(c) => {
            json!({ "amount": Money::from_minor(minor, c).amount.to_string(), "currency": c.code() })
        }
        Err(_) => Value::Null,
    }
}

/// `lead.qualified` when a lead has just become QUALIFIED.
pub fn lead_transitioned(before: &lead::Model, after: &lead::Model) -> Option<Event> {
    if after.status != LeadStatus::Qualified || before.status == LeadStatus::Qualified {
        return None;
    }
    Some(Event {
        name: LEAD_QUALIFIED,
        subject_id: after.id,
        account_id: after.account_id,
        data: json!({
            "leadId": after.id,
            "status": after.status.to_value(),
            "source": after.source.to_value(),
            "externalRef": after.external_ref,
            "ownerId": after.owner_id,
            "firstName": after.first_name,
            "lastName": after.last_name,
            "email": after.email,
            "company": after.company,
            "score": after.score,
            "accountId": after.account_id,
        }),
    })
}

/// `opportunity.won` when a deal has just reached WON.
pub fn opportunity_saved(before: &opportunity::Model, after: &opportunity::Model) -> Option<Event> {
    if after.stage != OpportunityStage::Won || before.stage == OpportunityStage::Won {
        return None;
    }
    let amount = match (after.amount_minor, &after.currency) {
        (Some(minor), Some(currency)) => money(minor, currency),
        _ => Value::Null,
    };
    Some(Event {
        name: OPPORTUNITY_WON,
        subject_id: after.id,
        account_id: Some(after.account_id),
        data: json!({
            "opportunityId": after.id,
            "accountId": after.account_id,
            "name": after.name,
            "stage": after.stage.to_value(),
            "amount": amount,
            "leadId": after.lead_id,
        }),
    })
}

/// `contract.signed`.
pub fn contract_signed(signed: &contract::Model) -> Event {
    Event {
        name: CONTRACT_SIGNED,
        subject_id: signed.id,
        account_id: Some(signed.account_id),
        data: json!({
            "contractId": signed.id,
            "number": signed.number,
            "accountId": signed.account_id,
            "opportunityId": signed.opportunity_id,
            "quoteId": signed.quote_id,
            "signedAt": signed.signed_at,
            "total": amount(signed.total.0, &signed.currency),
        }),
    }
}

/// `purchase_order.created`.
pub fn purchase_order_created(order: &purchase_order::Model) -> Event {
    Event {
        name: PURCHASE_ORDER_CREATED,
        subject_id: order.id,
        account_id: Some(order.account_id),
        data: json!({
            "purchaseOrderId": order.id,
            "poNumber": order.po_number,
            "contractId": order.contract_id,
            "accountId": order.account_id,
            "status": order.status.to_value(),
            "total": amount(order.total.0, &order.currency),
        }),
    }
}

/// `receivable.paid` when a receivable has just been paid in full.
pub fn receivable_saved(before: &receivable::Model, after: &receivable::Model) -> Option<Event> {
    if after.status != ReceivableStatus::Paid || before.status == ReceivableStatus::Paid {
        return None;
    }
    Some(Event {
        name: RECEIVABLE_PAID,
        subject_id: after.id,
        account_id: Some(after.account_id),
        data: json!({
            "receivableId": after.id,
            "accountId": after.account_id,
            "contractId": after.contract_id,
            "purchaseOrderId": after.purchase_order_id,
            "trigger": after.trigger.to_value(),
            "amount": money(after.amount_minor, &after.currency),
            "billingInvoiceId": after.billing_invoice_id,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_unique_and_dotted() {
        for (i, t) in TYPES.iter().enumerate() {
            assert!(t.name.contains('.'), "{}", t.name);
            assert!(TYPES[i + 1..].iter().all(|o| o.name != t.name));
        }
    }

    #[test]
    fn unknown_event_names_are_a_validation_error() {
        let names = vec!["lead.qualified".to_owned(), "lead.eaten".to_owned()];
        let error = parse_names("events", &names).unwrap_err();
        assert_eq!(error.code(), "VALIDATION");
        assert_eq!(
            parse_names(
                "events",
                &["contract.signed".into(), "contract.signed".into()]
            )
            .unwrap(),
            vec!["contract.signed"]
        );
    }
}
