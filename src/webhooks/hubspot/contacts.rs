//! The `hubspot.fetch_contact` job: reads a contact from HubSpot's CRM API
//! (`GET /crm/v3/objects/contacts/{id}`, private-app token) and captures it
//! as a lead: source `MARKETING_AUTOMATION`, external ref `hubspot:{id}`, so
//! later events for the same contact update the same lead.
//!
//! Timeouts, 429 and 5xx are retried by the outbox; a 404 (the contact is
//! gone) or any other refusal is permanent, as is a contact that cannot be a
//! lead (no email, last name or company). Properties HubSpot leaves empty
//! leave the lead's values alone.

use std::time::Duration;

use async_graphql::MaybeUndefined;
use entity::{enums::LeadSource, job};
use futures::future::BoxFuture;
use reqwest::{StatusCode, header::RETRY_AFTER};
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{
    Error, db, input,
    leads::service::{self, Capture, LeadFields},
    outbox::{JobFailure, JobHandler},
    webhooks::system_actor,
};

pub const FETCH_CONTACT: &str = "hubspot.fetch_contact";

/// The contact properties read, in HubSpot's names.
const PROPERTIES: &str = "email,firstname,lastname,company,phone,jobtitle,website";

/// Longest wait for HubSpot's answer; well inside the outbox lease.
const TIMEOUT: Duration = Duration::from_secs(20);

pub struct FetchContact {
    db: DatabaseConnection,
    client: reqwest::Client,
    api_url: String,
    token: SecretString,
}

/// A contact as `GET /crm/v3/objects/contacts/{id}` returns it.
#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    properties: Map<String, Value>,
}

impl FetchContact {
    pub fn new(
        db: DatabaseConnection,
        api_url: &str,
        token: SecretString,
    ) -> anyhow::Result<FetchContact> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("ltc/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(FetchContact {
            db,
            client,
            api_url: api_url.trim_end_matches('/').to_owned(),
            token,
        })
    }

    async fn fetch(&self, contact_id: &str) -> Result<Contact, JobFailure> {
        let url = format!(
            "{}/crm/v3/objects/contacts/{contact_id}?properties={PROPERTIES}",
            self.api_url
        );
        let response = self
            .client
            .get(url)
            .bearer_auth(self.token.expose_secret())
            .send()
            .await
            .map_err(|e| JobFailure::retry(format!("HubSpot did not answer: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return response.json::<Contact>().await.map_err(|e| {
                JobFailure::retry(format!("HubSpot sent an unreadable contact: {e}"))
            });
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let detail: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        match status {
            StatusCode::NOT_FOUND => Err(JobFailure::permanent(format!(
                "HubSpot has no contact {contact_id}"
            ))),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => Err(JobFailure::Retry {
                message: format!("HubSpot answered {status}"),
                after: retry_after,
            }),
            s if s.is_server_error() => Err(JobFailure::Retry {
                message: format!("HubSpot answered {status}: {detail}"),
                after: retry_after,
            }),
            _ => Err(JobFailure::permanent(format!(
                "HubSpot refused: {status}: {detail}"
            ))),
        }
    }

    async fn capture(&self, contact_id: &str, contact: Contact) -> Result<(), JobFailure> {
        let property = |name: &str| match contact.properties.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => MaybeUndefined::Value(s.clone()),
            _ => MaybeUndefined::Undefined,
        };
        // A website HubSpot holds as free text ("n/a") is not worth losing the lead over.
        let website = match property("website") {
            MaybeUndefined::Value(w) if input::domain("website", &w).is_err() => {
                tracing::warn!(contact_id, website = %w, "ignoring a HubSpot website that is no domain");
                MaybeUndefined::Undefined
            }
            other => other,
        };
        let capture = Capture {
            source: LeadSource::MarketingAutomation,
            external_ref: Some(format!("hubspot:{contact_id}")),
            owner_id: None,
            fields: LeadFields {
                first_name: property("firstname"),
                last_name: property("lastname"),
                email: property("email"),
                phone: property("phone"),
                company: property("company"),
                title: property("jobtitle"),
                website,
                ..LeadFields::default()
            },
        };
        let actor = system_actor("hubspot");
        let txn = db::begin_write(&self.db).await.map_err(failure)?;
        let captured = service::capture_within(&txn, &actor, capture)
            .await
            .map_err(failure)?;
        txn.commit().await.map_err(|e| failure(e.into()))?;
        tracing::info!(
            contact_id,
            lead_id = %captured.lead.id,
            created = captured.created,
            "HubSpot contact captured"
        );
        Ok(())
    }
}

/// Bad data will stay bad: permanent. A clash with a concurrent capture of
/// the same contact, or our own trouble, may pass: retry.
fn failure(error: Error) -> JobFailure {
    match error {
        Error::Validation { field, message } => {
            JobFailure::permanent(format!("the contact cannot be a lead: {field} {message}"))
        }
        Error::Internal(source) => {
            tracing::error!(error = ?source, "capturing a HubSpot contact");
            JobFailure::retry("internal error")
        }
        other => JobFailure::retry(other.to_string()),
    }
}

impl JobHandler for FetchContact {
    fn kind(&self) -> &'static str {
        FETCH_CONTACT
    }

    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, Result<(), JobFailure>> {
        Box::pin(async move {
            let contact_id = job.payload["contactId"].as_str().unwrap_or_default();
            if contact_id.is_empty() || !contact_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(JobFailure::permanent("the job names no HubSpot contact id"));
            }
            let contact = self.fetch(contact_id).await?;
            self.capture(contact_id, contact).await
        })
    }
}
