//! Accounts with their contacts, and leads: scored by the real score rules,
//! some of them duplicates (of an open lead or of a contact), some
//! converted into the deals `deals::plan` made.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::{
    DecimalText, account, contact,
    enums::{LeadSource, LeadStatus, PurchaseTimeline},
    lead,
};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    deals::Deal,
    names,
    rng::Seeded,
    writer::{Sink, Writer},
};
use crate::{input, leads::score::Fit};

pub struct Contact {
    pub id: Uuid,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
}

pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub domain: Option<String>,
    /// Index into the users.
    pub owner: usize,
    pub created_at: DateTime<Utc>,
    pub contacts: Vec<Contact>,
}

/// Writes `n` accounts (owned round the users) with one to three contacts each.
pub async fn seed_accounts(
    rng: &mut Seeded,
    sink: &Sink<'_>,
    n: usize,
    users: usize,
) -> anyhow::Result<Vec<Account>> {
    let mut names_taken = HashSet::new();
    let mut domains_taken = HashSet::new();
    let mut accounts = Vec::with_capacity(n);
    let mut writer = Writer::<account::Entity>::new(sink, "accounts", Some(n as u64));
    for i in 0..n {
        let (name, domain) = company(rng, &mut names_taken, &mut domains_taken);
        let domain = rng.chance(0.92).then_some(domain);
        let created_at = rng.between(
            rng.start - Duration::days(180),
            rng.now - Duration::days(60),
        );
        let id = rng.id_at(created_at);
        let owner = rng.index(users);
        writer.push(account::Model {
            id,
            search_text: input::search_text(&[Some(&name), domain.as_deref()]),
            name: name.clone(),
            domain: domain.clone(),
            industry: rng
                .chance(0.85)
                .then(|| (*rng.pick(names::INDUSTRIES)).to_owned()),
            owner_id: super::user(owner),
            erp_customer_ref: rng.chance(0.85).then(|| format!("CUST-{:06}", i + 1)),
            billing_customer_ref: rng.chance(0.6).then(|| format!("cus_{:014x}", i + 1)),
            created_at,
            updated_at: rng.later(created_at, 0, 90),
        });
        if writer.is_full() {
            writer.flush(sink).await?;
        }
        accounts.push(Account {
            id,
            name,
            domain,
            owner,
            created_at,
            contacts: Vec::new(),
        });
    }
    writer.finish(sink).await?;

    let mut writer = Writer::<contact::Entity>::new(sink, "contacts", None);
    for account in &mut accounts {
        for _ in 0..rng.int(1..=3) {
            let first_name = *rng.pick(names::FIRST_NAMES);
            let last_name = *rng.pick(names::LAST_NAMES);
            let mail_domain = account
                .domain
                .clone()
                .unwrap_or_else(|| format!("{}.com", names::slug(&[&account.name])));
            let email = format!(
                "{}.{}@{mail_domain}",
                first_name.to_lowercase(),
                last_name.to_lowercase()
            );
            // Two contacts of the same name at one company: keep the first.
            if account.contacts.iter().any(|c| c.email == email) {
                continue;
            }
            let created_at = rng.later(account.created_at, 0, 60);
            let id = rng.id_at(created_at);
            writer.push(contact::Model {
                id,
                account_id: account.id,
                first_name: Some(first_name.to_owned()),
                last_name: last_name.to_owned(),
                email: Some(email.clone()),
                email_normalized: Some(email.clone()),
                phone: rng.chance(0.7).then(|| phone(rng)),
                title: rng
                    .chance(0.8)
                    .then(|| (*rng.pick(names::TITLES)).to_owned()),
                search_text: input::search_text(&[Some(first_name), Some(last_name), Some(&email)]),
                created_at,
                updated_at: created_at,
            });
            if writer.is_full() {
                writer.flush(sink).await?;
            }
            account.contacts.push(Contact {
                id,
                first_name,
                last_name,
                email,
            });
        }
    }
    writer.finish(sink).await?;
    Ok(accounts)
}

/// A company name not used yet and its domain.
fn company(
    rng: &mut Seeded,
    names_taken: &mut HashSet<String>,
    domains_taken: &mut HashSet<String>,
) -> (String, String) {
    let mut attempt = 0_u32;
    loop {
        attempt += 1;
        let first = *rng.pick(names::COMPANY_FIRST);
        let second = *rng.pick(names::COMPANY_SECOND);
        let (form, tld) = *rng.pick(names::COMPANY_FORMS);
        // After a few tries the plain names are used up: add a city, then a number.
        let city = (attempt > 3).then(|| *rng.pick(names::CITIES));
        let number = (attempt > 20).then(|| attempt.to_string());
        let mut words = vec![first, second];
        words.extend(city);
        let name = match &number {
            Some(n) => format!("{} {n} {form}", words.join(" ")),
            None => format!("{} {form}", words.join(" ")),
        };
        if names_taken.contains(&name) {
            continue;
        }
        let mut label = names::slug(&words);
        if let Some(n) = &number {
            label.push_str(n);
        }
        let mut domain = format!("{label}.{tld}");
        if domains_taken.contains(&domain) {
            domain = format!("{label}-{}.{tld}", names::slug(&[form]));
            if domains_taken.contains(&domain) {
                continue;
            }
        }
        names_taken.insert(name.clone());
        domains_taken.insert(domain.clone());
        return (name, domain);
    }
}

fn phone(rng: &mut Seeded) -> String {
    format!("+49 30 {:07}", rng.int(1_000_000..=9_999_999))
}

/// What the fit factor looks at: the account base's domains and names.
struct AccountBase {
    domains: HashSet<String>,
    names: Vec<String>,
}

impl AccountBase {
    fn new(accounts: &[Account]) -> AccountBase {
        AccountBase {
            domains: accounts.iter().filter_map(|a| a.domain.clone()).collect(),
            names: accounts.iter().map(|a| a.name.to_lowercase()).collect(),
        }
    }

    /// The fit rule of `leads::service`: a domain of an existing account,
    /// else an account whose name starts with the company.
    fn fit(&self, email: Option<&str>, website: Option<&str>, company: Option<&str>) -> Fit {
        let email_domain = email.and_then(|e| e.rsplit_once('@')).map(|(_, d)| d);
        if [website, email_domain]
            .into_iter()
            .flatten()
            .any(|d| self.domains.contains(d))
        {
            return Fit::DomainMatch;
        }
        match company {
            Some(c) if self.names.binary_search(&c.to_lowercase()).is_ok() => Fit::CompanyNameMatch,
            _ => Fit::None,
        }
    }
}

/// An open lead others may duplicate.
struct Original {
    id: Uuid,
    email: String,
    created_at: DateTime<Utc>,
}

/// Writes `n` leads: first one converted lead for each deal `has_lead`
/// (setting `deal.lead`), then the rest, of every status.
pub async fn seed_leads(
    rng: &mut Seeded,
    sink: &Sink<'_>,
    n: usize,
    users: usize,
    accounts: &[Account],
    deals: &mut [Deal],
) -> anyhow::Result<()> {
    let mut base = AccountBase::new(accounts);
    base.names.sort();
    let mut writer = Writer::<lead::Entity>::new(sink, "leads", Some(n as u64));
    let mut originals: Vec<Original> = Vec::new();
    let mut written = 0_usize;

    for deal in deals.iter_mut().filter(|d| d.has_lead) {
        if written == n {
            deal.has_lead = false;
            continue;
        }
        let account = &accounts[deal.account];
        let contact = &account.contacts[deal.contact];
        let created_at = (deal.created_at - Duration::days(rng.int(1..=45))).max(rng.start);
        let id = rng.id_at(created_at);
        let mut row = blank(rng, id, created_at, written);
        row.status = LeadStatus::Converted;
        row.first_name = Some(contact.first_name.to_owned());
        row.last_name = Some(contact.last_name.to_owned());
        row.email = Some(contact.email.clone());
        row.email_normalized = Some(contact.email.clone());
        row.company = Some(account.name.clone());
        row.website = account.domain.clone();
        row.owner_id = Some(super::user(deal.ar));
        row.account_id = Some(account.id);
        row.contact_id = Some(contact.id);
        row.opportunity_id = Some(deal.id);
        row.converted_at = Some(deal.created_at);
        row.updated_at = deal.created_at;
        finish_lead(&base, &mut row);
        deal.lead = Some(id);
        written += 1;
        if writer.push(row) {
            writer.flush(sink).await?;
        }
    }

    // A fresh company's domain never matches an account's: accounts use
    // other top-level domains.
    let mut i = written;
    while i < n {
        let mut created_at = rng.in_book();
        let mut duplicate_of_lead = None;
        let mut duplicate_of_contact = None;
        let first_name = *rng.pick(names::FIRST_NAMES);
        let last_name = *rng.pick(names::LAST_NAMES);
        let mut company = None;
        let mut website = None;
        let email: Option<String>;
        let roll = rng.int(0..=99);
        if roll < 8 && !originals.is_empty() {
            // The same person again, through another channel.
            let k = rng.index(originals.len());
            let original = &originals[k];
            created_at = rng.later(original.created_at, 1, 60);
            duplicate_of_lead = Some(original.id);
            email = Some(original.email.clone());
        } else if roll < 11 {
            let account = rng.pick(accounts);
            if account.contacts.is_empty() {
                email = None;
            } else {
                let contact = rng.pick(&account.contacts);
                duplicate_of_contact = Some(contact.id);
                email = Some(contact.email.clone());
                company = Some(account.name.clone());
            }
        } else if roll < 31 {
            // Someone at a company we already sell to.
            let account = rng.pick(accounts);
            company = Some(account.name.clone());
            let domain = account
                .domain
                .clone()
                .unwrap_or_else(|| "gmail.com".to_owned());
            website = account.domain.clone().filter(|_| rng.chance(0.3));
            email = Some(format!(
                "{}.{}.{i}@{domain}",
                first_name.to_lowercase(),
                last_name.to_lowercase()
            ));
        } else {
            let first = *rng.pick(names::COMPANY_FIRST);
            let second = *rng.pick(names::COMPANY_SECOND);
            let domain = format!("{}{}.io", names::slug(&[first, second]), i % 997);
            company = rng
                .chance(0.85)
                .then(|| format!("{first} {second} {}", i % 997));
            if rng.chance(0.4) {
                website = Some(domain.clone());
            }
            email = rng.chance(0.92).then(|| {
                format!(
                    "{}.{}.{i}@{domain}",
                    first_name.to_lowercase(),
                    last_name.to_lowercase()
                )
            });
        }
        let id = rng.id_at(created_at);
        let mut row = blank(rng, id, created_at, i);
        let recent = rng.now - created_at < Duration::days(14);
        row.status = if duplicate_of_lead.is_some() || recent && rng.chance(0.7) {
            LeadStatus::New
        } else {
            rng.weighted(&[
                (LeadStatus::New, 30),
                (LeadStatus::Working, 28),
                (LeadStatus::Qualified, 7),
                (LeadStatus::Disqualified, 35),
            ])
        };
        let named = rng.chance(0.9);
        row.first_name = named.then(|| first_name.to_owned());
        row.last_name = (named || email.is_none()).then(|| last_name.to_owned());
        row.email_normalized = email.clone();
        row.email = email;
        row.company = company;
        row.website = website;
        row.duplicate_of_lead_id = duplicate_of_lead;
        row.duplicate_of_contact_id = duplicate_of_contact;
        row.owner_id = match row.status {
            LeadStatus::New => rng.chance(0.5).then(|| super::user(rng.index(users))),
            _ => Some(super::user(rng.index(users))),
        };
        if row.status == LeadStatus::Disqualified {
            row.disqualify_reason = Some((*rng.pick(names::DISQUALIFY_REASONS)).to_owned());
        }
        row.updated_at = if row.status == LeadStatus::New {
            created_at
        } else {
            rng.later(created_at, 0, 30)
        };
        finish_lead(&base, &mut row);
        let open = matches!(
            row.status,
            LeadStatus::New | LeadStatus::Working | LeadStatus::Qualified
        );
        if open
            && duplicate_of_lead.is_none()
            && duplicate_of_contact.is_none()
            && let Some(email) = &row.email_normalized
        {
            originals.push(Original {
                id,
                email: email.clone(),
                created_at,
            });
        }
        i += 1;
        if writer.push(row) {
            writer.flush(sink).await?;
        }
    }
    writer.finish(sink).await?;
    Ok(())
}

/// A lead with the fields every kind shares; the caller fills in who it is.
fn blank(rng: &mut Seeded, id: Uuid, created_at: DateTime<Utc>, i: usize) -> lead::Model {
    let source = rng.weighted(&[
        (LeadSource::Web, 30),
        (LeadSource::MarketingAutomation, 25),
        (LeadSource::Event, 12),
        (LeadSource::Referral, 10),
        (LeadSource::Partner, 8),
        (LeadSource::Social, 10),
        (LeadSource::Other, 5),
    ]);
    let external_ref = matches!(
        source,
        LeadSource::Web | LeadSource::MarketingAutomation | LeadSource::Event | LeadSource::Partner
    )
    .then(|| format!("seed-{:08}", i + 1))
    .filter(|_| rng.chance(0.8));
    let budget = rng.chance(0.3).then(|| {
        (
            DecimalText(Decimal::from(rng.int(5..=500) * 1_000)),
            if rng.chance(0.7) { "EUR" } else { "USD" }.to_owned(),
        )
    });
    let engaged = rng.chance(0.45);
    lead::Model {
        id,
        status: LeadStatus::New,
        source,
        external_ref,
        first_name: None,
        last_name: None,
        email: None,
        email_normalized: None,
        phone: rng.chance(0.5).then(|| phone(rng)),
        company: None,
        title: rng
            .chance(0.6)
            .then(|| (*rng.pick(names::TITLES)).to_owned()),
        website: None,
        budget_amount: budget.as_ref().map(|(amount, _)| *amount),
        budget_currency: budget.map(|(_, currency)| currency),
        timeline: rng.weighted(&[
            (PurchaseTimeline::WithinMonth, 10),
            (PurchaseTimeline::WithinQuarter, 20),
            (PurchaseTimeline::WithinYear, 25),
            (PurchaseTimeline::Later, 10),
            (PurchaseTimeline::Unknown, 35),
        ]),
        notes: rng
            .chance(0.1)
            .then(|| "Asked for a demo and a price list.".to_owned()),
        search_text: String::new(),
        owner_id: None,
        score: 0,
        score_factors: serde_json::Value::Array(Vec::new()),
        form_fills: if engaged { rng.int(0..=3) as i32 } else { 0 },
        email_clicks: if engaged { rng.int(0..=5) as i32 } else { 0 },
        meetings_booked: i32::from(engaged && rng.chance(0.15)),
        disqualify_reason: None,
        duplicate_of_lead_id: None,
        duplicate_of_contact_id: None,
        account_id: None,
        contact_id: None,
        opportunity_id: None,
        converted_at: None,
        created_at,
        updated_at: created_at,
    }
}

/// The search text and the score, from the lead's final fields.
fn finish_lead(base: &AccountBase, row: &mut lead::Model) {
    row.search_text = input::search_text(&[
        row.first_name.as_deref(),
        row.last_name.as_deref(),
        row.company.as_deref(),
        row.email_normalized.as_deref(),
    ]);
    let fit = base.fit(
        row.email_normalized.as_deref(),
        row.website.as_deref(),
        row.company.as_deref(),
    );
    // Scored exactly as a capture scores it; factors always serialize.
    let _ = crate::leads::matching::apply_score(row, fit);
}
