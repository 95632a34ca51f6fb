//! The body of `POST /webhooks/leads`, parsed field by field so that every
//! refusal names its place in the body (`leads[3].email`).
//!
//! A body is one lead object, or `{"leads": [...], "events": [...]}` (either
//! list may be left out). Lead fields are those of `captureLead`'s input;
//! unknown fields are ignored, so senders may add their own.

use async_graphql::MaybeUndefined;
use entity::enums::{LeadSource, PurchaseTimeline};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use serde_json::{Map, Value};

use super::reply::Reject;
use crate::leads::{
    engagement::EngagementKind,
    service::{Capture, LeadFields},
};
use crate::money::Written;

/// Most leads, and most events, one request may carry.
pub const MAX_ITEMS: usize = 1000;

/// A lead, with where its fields sit in the body.
pub struct LeadItem {
    /// `leads[3].`, or empty for a body that is a single lead.
    pub prefix: String,
    pub index: Option<usize>,
    pub capture: Capture,
}

/// An engagement signal about a lead named by external ref or email.
pub struct EventItem {
    pub prefix: String,
    pub index: usize,
    pub kind: EngagementKind,
    /// The name the sender used, echoed in the response.
    pub kind_name: String,
    pub source: LeadSource,
    pub external_ref: Option<String>,
    pub email: Option<String>,
}

pub struct Batch {
    pub leads: Vec<LeadItem>,
    pub events: Vec<EventItem>,
}

pub fn parse(body: &[u8]) -> Result<Batch, Reject> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Reject::bad_request("the body is not valid JSON"))?;
    let Value::Object(object) = value else {
        return Err(Reject::bad_request(
            "the body must be a lead object or {\"leads\": [...], \"events\": [...]}",
        ));
    };
    if !object.contains_key("leads") && !object.contains_key("events") {
        let capture = lead(&object, "")?;
        return Ok(Batch {
            leads: vec![LeadItem {
                prefix: String::new(),
                index: None,
                capture,
            }],
            events: Vec::new(),
        });
    }
    let mut batch = Batch {
        leads: Vec::new(),
        events: Vec::new(),
    };
    for (index, item) in list(&object, "leads")?.iter().enumerate() {
        let prefix = format!("leads[{index}].");
        let Value::Object(item) = item else {
            return Err(
                Reject::validation(format!("leads[{index}]"), "must be an object")
                    .at_index(Some(index)),
            );
        };
        let capture = lead(item, &prefix).map_err(|r| r.at_index(Some(index)))?;
        batch.leads.push(LeadItem {
            prefix,
            index: Some(index),
            capture,
        });
    }
    for (index, item) in list(&object, "events")?.iter().enumerate() {
        let event = event(item, index).map_err(|r| r.at_index(Some(index)))?;
        batch.events.push(event);
    }
    Ok(batch)
}

/// `object[key]` as a list of at most [`MAX_ITEMS`]; absent or null is empty.
fn list<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], Reject> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) if items.len() > MAX_ITEMS => Err(Reject::too_large(
            Some(key),
            format!("at most {MAX_ITEMS} {key} per request"),
        )),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(Reject::validation(key, "must be a list")),
    }
}

/// A text field as `captureLead` takes it: absent leaves it, null clears it.
fn text(
    object: &Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Result<MaybeUndefined<String>, Reject> {
    match object.get(key) {
        None => Ok(MaybeUndefined::Undefined),
        Some(Value::Null) => Ok(MaybeUndefined::Null),
        Some(Value::String(s)) => Ok(MaybeUndefined::Value(s.clone())),
        Some(_) => Err(Reject::validation(
            format!("{prefix}{key}"),
            "must be a string",
        )),
    }
}

/// An id from another system: a string, or a whole number.
fn reference(
    object: &Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Result<Option<String>, Reject> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(_) => Err(Reject::validation(
            format!("{prefix}{key}"),
            "must be a string",
        )),
    }
}

/// An enum value spelled as in the schema (`MARKETING_AUTOMATION`).
fn enum_value<E: ActiveEnum<Value = String>>(
    object: &Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Result<Option<E>, Reject> {
    let bad = || {
        let names: Vec<String> = E::values().into_iter().collect();
        Reject::validation(
            format!("{prefix}{key}"),
            format!("must be one of {}", names.join(", ")),
        )
    };
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => E::try_from_value(s).map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn lead(object: &Map<String, Value>, prefix: &str) -> Result<Capture, Reject> {
    if object.get("ownerId").is_some_and(|v| !v.is_null()) {
        return Err(Reject::validation(
            format!("{prefix}ownerId"),
            "the webhook does not assign leads; they arrive unassigned",
        ));
    }
    let source = enum_value::<LeadSource>(object, prefix, "source")?
        .unwrap_or(LeadSource::MarketingAutomation);
    let fields = LeadFields {
        first_name: text(object, prefix, "firstName")?,
        last_name: text(object, prefix, "lastName")?,
        email: text(object, prefix, "email")?,
        phone: text(object, prefix, "phone")?,
        company: text(object, prefix, "company")?,
        title: text(object, prefix, "title")?,
        website: text(object, prefix, "website")?,
        budget: budget(object, prefix)?,
        timeline: enum_value::<PurchaseTimeline>(object, prefix, "timeline")?,
        notes: text(object, prefix, "notes")?,
    };
    Ok(Capture {
        source,
        external_ref: reference(object, prefix, "externalRef")?,
        owner_id: None,
        fields,
    })
}

/// `{"amount": "50000.00", "currency": "EUR"}`; the amount may be a JSON
/// integer, never a float (not exact).
fn budget(
    object: &Map<String, Value>,
    prefix: &str,
) -> Result<MaybeUndefined<(Decimal, String)>, Reject> {
    let budget = match object.get("budget") {
        None => return Ok(MaybeUndefined::Undefined),
        Some(Value::Null) => return Ok(MaybeUndefined::Null),
        Some(Value::Object(budget)) => budget,
        Some(_) => {
            return Err(Reject::validation(
                format!("{prefix}budget"),
                "must be an object with amount and currency",
            ));
        }
    };
    let amount_field = format!("{prefix}budget.amount");
    let written = match budget.get("amount") {
        Some(Value::String(s)) => Written::Text(s),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Written::Integer(n.to_string()),
        Some(Value::Number(_)) => Written::Float,
        _ => {
            return Err(Reject::validation(
                &amount_field,
                "must be a decimal amount",
            ));
        }
    };
    let amount = crate::money::decimal_input(written)
        .map_err(|message| Reject::validation(&amount_field, message))?;
    let Some(Value::String(currency)) = budget.get("currency") else {
        return Err(Reject::validation(
            format!("{prefix}budget.currency"),
            "must be a three-letter ISO 4217 code such as EUR",
        ));
    };
    Ok(MaybeUndefined::Value((amount, currency.clone())))
}

fn event(item: &Value, index: usize) -> Result<EventItem, Reject> {
    let prefix = format!("events[{index}].");
    let Value::Object(object) = item else {
        return Err(Reject::validation(
            format!("events[{index}]"),
            "must be an object",
        ));
    };
    let kind_name = match object.get("type") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let kind = match kind_name.as_str() {
        "FORM_FILL" => EngagementKind::FormFill,
        "EMAIL_CLICK" => EngagementKind::EmailClick,
        "MEETING_BOOKED" => EngagementKind::MeetingBooked,
        _ => {
            return Err(Reject::validation(
                format!("{prefix}type"),
                "must be one of FORM_FILL, EMAIL_CLICK, MEETING_BOOKED",
            ));
        }
    };
    let source = enum_value::<LeadSource>(object, &prefix, "source")?
        .unwrap_or(LeadSource::MarketingAutomation);
    let external_ref = reference(object, &prefix, "externalRef")?;
    let email = match text(object, &prefix, "email")? {
        MaybeUndefined::Value(email) => Some(email),
        _ => None,
    };
    if external_ref.is_none() && email.is_none() {
        return Err(Reject::validation(
            format!("{prefix}externalRef"),
            "name the lead by externalRef or email",
        ));
    }
    Ok(EventItem {
        prefix,
        index,
        kind,
        kind_name,
        source,
        external_ref,
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: &str) -> (u16, Option<String>, Option<usize>) {
        match parse(body.as_bytes()) {
            Ok(_) => (200, None, None),
            Err(r) => (r.status.as_u16(), r.field, r.index),
        }
    }

    #[test]
    fn a_single_lead_or_a_batch_is_accepted() {
        let single = parse(br#"{"email": "ann@acme.io", "externalRef": 42}"#).unwrap();
        assert_eq!(single.leads.len(), 1);
        assert_eq!(
            single.leads[0].capture.source,
            LeadSource::MarketingAutomation
        );
        assert_eq!(single.leads[0].capture.external_ref.as_deref(), Some("42"));
        let batch = parse(
            br#"{"leads": [{"email": "a@b.co", "source": "EVENT"}], "events": [{"type": "FORM_FILL", "email": "a@b.co"}]}"#,
        )
        .unwrap();
        assert_eq!(batch.leads[0].capture.source, LeadSource::Event);
        assert_eq!(batch.leads[0].prefix, "leads[0].");
        assert_eq!(batch.events[0].kind, EngagementKind::FormFill);
    }

    #[test]
    fn refusals_name_the_field_and_the_index() {
        assert_eq!(field_of("not json"), (400, None, None));
        assert_eq!(field_of("[1]"), (400, None, None));
        assert_eq!(
            field_of(r#"{"leads": [{"email": "a@b.co"}, {"email": 5}]}"#),
            (400, Some("leads[1].email".into()), Some(1))
        );
        assert_eq!(
            field_of(r#"{"source": "FAX"}"#),
            (400, Some("source".into()), None)
        );
        assert_eq!(
            field_of(r#"{"leads": [{"budget": {"amount": "x", "currency": "EUR"}}]}"#),
            (400, Some("leads[0].budget.amount".into()), Some(0))
        );
        // Money is exact: a float, NaN or an amount past the input bound is refused.
        for amount in ["1250.5", "\"NaN\"", "\"79228162514264337593543950335\""] {
            let body = format!(
                r#"{{"leads": [{{"budget": {{"amount": {amount}, "currency": "EUR"}}}}]}}"#
            );
            assert_eq!(
                field_of(&body),
                (400, Some("leads[0].budget.amount".into()), Some(0)),
                "{amount}"
            );
        }
        assert_eq!(
            field_of(r#"{"budget": {"amount": 50000, "currency": "EUR"}}"#),
            (200, None, None)
        );
        assert_eq!(
            field_of(r#"{"events": [{"type": "FORM_FILL"}]}"#),
            (400, Some("events[0].externalRef".into()), Some(0))
        );
        assert_eq!(
            field_of(r#"{"events": [{"type": "CALL", "email": "a@b.co"}]}"#),
            (400, Some("events[0].type".into()), Some(0))
        );
        assert_eq!(
            field_of(r#"{"ownerId": "bob", "email": "a@b.co"}"#),
            (400, Some("ownerId".into()), None)
        );
        let many = format!(
            r#"{{"leads": [{}]}}"#,
            vec![r#"{"email": "a@b.co"}"#; MAX_ITEMS + 1].join(",")
        );
        assert_eq!(field_of(&many), (413, Some("leads".into()), None));
    }
}
