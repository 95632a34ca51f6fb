//! Capturing a batch of leads (the leads webhook takes up to 1,000 at once)
//! in a number of SQL statements that does not grow with the batch.
//!
//! Captured one by one, each lead costs about seven statements: its ref, its
//! email among open leads and among contacts, its domains and company among
//! accounts, its row and its history row. Here every lookup the batch needs
//! is made set-wise up front ([`Known::load`]); the items are then captured
//! in order against that picture in memory, each capture updating it so that
//! later items see earlier ones (a repeated ref upserts the earlier item, a
//! repeated email points at it); last the changed stored leads are updated
//! one by one (an upsert is rare) and the new leads and their history rows
//! are inserted with multi-row statements.
//!
//! The rules are those of capturing one at a time (`service`, `matching`), so
//! the result is the same; `service::capture_within` is a batch of one.

use std::collections::{BTreeSet, HashMap, HashSet};

use async_graphql::MaybeUndefined;
use entity::{
    enums::{LeadSource, LeadStatus},
    lead,
};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    matching, repo,
    score::Fit,
    service::{self, Capture, Captured, LeadFields},
};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db, history,
    input::{self, Email, NAME_MAX, REF_MAX},
};

/// Why a batch was refused. The caller's transaction may already hold a
/// part of the batch and must not be committed.
#[derive(Debug)]
pub struct Refused {
    /// The position in the batch of the capture at fault, if one is.
    pub item: Option<usize>,
    pub error: Error,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Refused {
        Refused { item: None, error }
    }
}

impl From<sea_orm::DbErr> for Refused {
    fn from(error: sea_orm::DbErr) -> Refused {
        Error::from(error).into()
    }
}

/// Captures every item inside the caller's transaction, with the rules of
/// capturing them one after the other: idempotent on source and external
/// ref, deduped on email, scored. The answers are in the items' order.
pub async fn capture_batch(
    db: &impl ConnectionTrait,
    actor: &Actor,
    captures: Vec<Capture>,
) -> Result<Vec<Captured>, Refused> {
    actor.require(Capability::WriteLeads)?;
    let mut known = Known::load(db, &captures).await?;
    let mut captured = Vec::with_capacity(captures.len());
    for (item, capture) in captures.into_iter().enumerate() {
        let answer = known
            .capture(actor, item, capture)
            .map_err(|error| Refused {
                item: Some(item),
                error,
            })?;
        captured.push(answer);
    }
    known.write(db, actor).await?;
    Ok(captured)
}

/// What the batch's captures need to know of the database, and what they
/// have changed of it so far.
struct Known {
    /// The leads the batch may change: the stored ones its refs name, and
    /// the new ones.
    leads: HashMap<Uuid, Held>,
    by_ref: HashMap<(LeadSource, String), Uuid>,
    /// Open original leads by normalized email: what the batch's emails
    /// match, stored or new. Ordered so the first is the oldest.
    originals: HashMap<String, BTreeSet<Uuid>>,
    /// The oldest contact with each of the batch's emails.
    contacts: HashMap<String, Uuid>,
    /// Those of the batch's domains that are an account's.
    account_domains: HashSet<String>,
    /// Those of the batch's company prefixes that start an account's search text.
    account_prefixes: HashSet<String>,
    /// New leads, in the order of their items.
    new: Vec<Uuid>,
    /// Stored leads changed, in the order of the items that first changed them.
    changed: Vec<Uuid>,
}

struct Held {
    lead: lead::Model,
    /// For a stored lead: its status as read, which it must still have when
    /// written, and the item that first changed it.
    stored: Option<(LeadStatus, Option<usize>)>,
}

/// Every value the batch's captures may look up.
#[derive(Default)]
struct Keys {
    emails: BTreeSet<String>,
    domains: BTreeSet<String>,
    prefixes: BTreeSet<String>,
}

impl Keys {
    /// The values the fields stand for once applied. A value that does not
    /// parse is left out: its capture will be refused anyway.
    fn add_fields(&mut self, fields: &LeadFields) {
        if let MaybeUndefined::Value(email) = &fields.email
            && let Ok(Some(email)) = Email::parse_optional("email", Some(email))
        {
            if let Some(domain) = matching::email_domain(&email.normalized) {
                self.domains.insert(domain.to_owned());
            }
            self.emails.insert(email.normalized);
        }
        if let MaybeUndefined::Value(website) = &fields.website
            && let Ok(domain) = input::domain("website", website)
        {
            self.domains.insert(domain);
        }
        if let MaybeUndefined::Value(company) = &fields.company
            && let Ok(Some(company)) = input::optional("company", Some(company), NAME_MAX)
        {
            self.prefixes.insert(matching::company_prefix(&company));
        }
    }

    /// The values an upsert keeps from the stored lead (its email does not
    /// matter: dedupe runs only when an item changes it).
    fn add_lead(&mut self, lead: &lead::Model) {
        self.domains
            .extend(matching::fit_domains(lead).map(str::to_owned));
        if let Some(company) = &lead.company {
            self.prefixes.insert(matching::company_prefix(company));
        }
    }
}

/// The external ref the capture will have, if it is a valid one.
fn reference(capture: &Capture) -> Option<String> {
    input::optional("externalRef", capture.external_ref.as_deref(), REF_MAX)
        .ok()
        .flatten()
}

impl Known {
    /// Five statements at most, whatever the batch's size (more only past
    /// the bind limit); none for a kind of value the batch does not carry.
    async fn load(db: &impl ConnectionTrait, captures: &[Capture]) -> Result<Known> {
        let refs: Vec<(LeadSource, String)> = captures
            .iter()
            .filter_map(|c| Some((c.source, reference(c)?)))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let stored = if refs.is_empty() {
            Vec::new()
        } else {
            repo::find_by_external_refs(db, &refs).await?
        };
        let mut keys = Keys::default();
        for capture in captures {
            keys.add_fields(&capture.fields);
        }
        for lead in &stored {
            keys.add_lead(lead);
        }
        let emails: Vec<String> = keys.emails.into_iter().collect();
        let domains: Vec<String> = keys.domains.into_iter().collect();
        let prefixes: Vec<String> = keys.prefixes.into_iter().collect();

        let mut known = Known {
            leads: HashMap::with_capacity(captures.len()),
            by_ref: HashMap::with_capacity(captures.len()),
            originals: HashMap::new(),
            contacts: HashMap::new(),
            account_domains: HashSet::new(),
            account_prefixes: HashSet::new(),
            new: Vec::with_capacity(captures.len()),
            changed: Vec::new(),
        };
        if !emails.is_empty() {
            for (id, email) in repo::open_originals_with_emails(db, &emails).await? {
                known.originals.entry(email).or_default().insert(id);
            }
            known.contacts = repo::oldest_contacts_with_emails(db, &emails).await?;
        }
        if !domains.is_empty() {
            known.account_domains = repo::account_domains_among(db, &domains).await?;
        }
        if !prefixes.is_empty() {
            known.account_prefixes = repo::account_name_prefixes_among(db, &prefixes).await?;
        }
        for lead in stored {
            if let Some(external_ref) = &lead.external_ref {
                known
                    .by_ref
                    .insert((lead.source, external_ref.clone()), lead.id);
            }
            let held = Held {
                stored: Some((lead.status, None)),
                lead,
            };
            known.leads.insert(held.lead.id, held);
        }
        Ok(known)
    }

    /// One item, as `service::capture_within` captures it.
    fn capture(&mut self, actor: &Actor, item: usize, capture: Capture) -> Result<Captured> {
        let external_ref =
            input::optional("externalRef", capture.external_ref.as_deref(), REF_MAX)?;
        let owner_id = service::owner_for_capture(actor, capture.owner_id)?;
        if let Some(external_ref) = &external_ref
            && let Some(&id) = self.by_ref.get(&(capture.source, external_ref.clone()))
        {
            let lead = self.upsert(actor, item, id, capture.fields)?;
            return Ok(Captured {
                lead,
                created: false,
            });
        }
        let mut lead = service::blank(capture.source, external_ref, owner_id);
        service::apply_fields(&mut lead, capture.fields)?;
        self.dedupe(&mut lead);
        self.rescore(&mut lead)?;
        if let Some(external_ref) = &lead.external_ref {
            self.by_ref
                .insert((lead.source, external_ref.clone()), lead.id);
        }
        self.index(&lead);
        self.new.push(lead.id);
        self.leads.insert(
            lead.id,
            Held {
                lead: lead.clone(),
                stored: None,
            },
        );
        Ok(Captured {
            lead,
            created: true,
        })
    }

    /// `service::upsert_existing` and `service::save` on a held lead.
    fn upsert(
        &mut self,
        actor: &Actor,
        item: usize,
        id: Uuid,
        fields: LeadFields,
    ) -> Result<lead::Model> {
        let held = self.leads.get(&id).ok_or_else(|| {
            Error::Internal(anyhow::anyhow!("lead {id} is named by a ref but not held"))
        })?;
        let existing = held.lead.clone();
        if !repo::OPEN.contains(&existing.status) {
            return Ok(existing);
        }
        if !repo::is_visible(&actor.visibility(Capability::WriteLeads)?, &existing) {
            return Err(service::someone_elses());
        }
        let mut lead = existing.clone();
        service::apply_fields(&mut lead, fields)?;
        if lead == existing {
            return Ok(existing);
        }
        if lead.email_normalized != existing.email_normalized {
            self.dedupe(&mut lead);
        }
        self.rescore(&mut lead)?;
        lead.updated_at = db::now();
        self.unindex(&existing);
        self.index(&lead);
        if let Some(held) = self.leads.get_mut(&id) {
            held.lead = lead.clone();
            if let Some((_, changed_by @ None)) = &mut held.stored {
                *changed_by = Some(item);
                self.changed.push(id);
            }
        }
        Ok(lead)
    }

    /// `matching::dedupe` against the picture.
    fn dedupe(&self, lead: &mut lead::Model) {
        let email = lead.email_normalized.as_deref();
        let oldest_open = email
            .and_then(|e| self.originals.get(e))
            .and_then(|ids| ids.iter().copied().find(|id| *id != lead.id));
        let contact = email.and_then(|e| self.contacts.get(e)).copied();
        matching::mark_duplicate(lead, oldest_open, contact);
    }

    /// `matching::rescore` against the picture.
    fn rescore(&self, lead: &mut lead::Model) -> Result<()> {
        let fit = if matching::fit_domains(lead).any(|d| self.account_domains.contains(d)) {
            Fit::DomainMatch
        } else if lead
            .company
            .as_deref()
            .is_some_and(|c| self.account_prefixes.contains(&matching::company_prefix(c)))
        {
            Fit::CompanyNameMatch
        } else {
            Fit::None
        };
        matching::apply_score(lead, fit)
    }

    fn index(&mut self, lead: &lead::Model) {
        if matching::is_original(lead)
            && let Some(email) = &lead.email_normalized
        {
            self.originals
                .entry(email.clone())
                .or_default()
                .insert(lead.id);
        }
    }

    fn unindex(&mut self, lead: &lead::Model) {
        if let Some(email) = &lead.email_normalized
            && let Some(ids) = self.originals.get_mut(email)
        {
            ids.remove(&lead.id);
        }
    }

    /// The changed stored leads one statement each, in the order the items
    /// changed them (so concurrent batches lock rows in a stable order); the
    /// new leads and their history in a statement or two each.
    async fn write(mut self, db: &impl ConnectionTrait, actor: &Actor) -> Result<(), Refused> {
        for id in &self.changed {
            let Some(Held {
                lead,
                stored: Some((status, item)),
            }) = self.leads.get(id)
            else {
                continue;
            };
            if !repo::update_if_status(db, lead.clone(), *status).await? {
                return Err(Refused {
                    item: *item,
                    error: Error::Conflict("the lead changed meanwhile; read it again".into()),
                });
            }
        }
        let rows: Vec<lead::Model> = self
            .new
            .iter()
            .filter_map(|id| self.leads.remove(id).map(|held| held.lead))
            .collect();
        repo::insert_many(db, rows).await?;
        let history: Vec<_> = self.new.iter().map(|id| service::creation(*id)).collect();
        history::repo::record_many(db, actor, &history).await?;
        Ok(())
    }
}
