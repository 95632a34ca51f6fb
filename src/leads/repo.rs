//! Lead rows: the only code that queries the `leads` table.

use std::collections::{HashMap, HashSet};

use entity::{
    account, contact,
    enums::{LeadSource, LeadStatus},
    lead,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    IntoActiveModel, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    Statement, Value,
};
use uuid::Uuid;

use crate::{
    Result,
    auth::Visibility,
    db::visible::{self, Visible},
    db::{MAX_BINDS, contains},
};

/// Open leads are the ones still being worked; only they attract duplicates.
pub const OPEN: [LeadStatus; 3] = [LeadStatus::New, LeadStatus::Working, LeadStatus::Qualified];

/// A sales user sees the leads they own and the unassigned ones.
pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(user) => Condition::any()
            .add(lead::Column::OwnerId.eq(user.as_str()))
            .add(lead::Column::OwnerId.is_null()),
    }
}

/// Whether a lead held in memory passes [`visible`].
pub fn is_visible(visibility: &Visibility, lead: &lead::Model) -> bool {
    match visibility {
        Visibility::All => true,
        Visibility::OwnedBy(user) => lead.owner_id.as_deref().is_none_or(|o| o == user),
    }
}

impl Visible for lead::Entity {
    const NAME: &'static str = "lead";
    const ID: lead::Column = lead::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        visible(visibility)
    }
}

/// [`visible::find`] for this table; `events::access` calls it.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<lead::Model>> {
    visible::find::<lead::Entity>(db, visibility, id).await
}

/// Leads marked as duplicates of any of `ids`, that the caller sees.
pub async fn duplicates_of(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    ids: &[Uuid],
) -> Result<Vec<lead::Model>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::DuplicateOfLeadId.is_in(ids.iter().copied()))
        .filter(visible(visibility))
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?)
}

pub async fn find_by_external_ref(
    db: &impl ConnectionTrait,
    source: LeadSource,
    external_ref: &str,
) -> Result<Option<lead::Model>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::Source.eq(source))
        .filter(lead::Column::ExternalRef.eq(external_ref))
        .one(db)
        .await?)
}

/// The oldest open lead with this normalized email, other than `except`.
pub async fn find_open_by_email(
    db: &impl ConnectionTrait,
    normalized: &str,
    except: Option<Uuid>,
) -> Result<Option<lead::Model>> {
    let mut query = lead::Entity::find()
        .filter(lead::Column::EmailNormalized.eq(normalized))
        .filter(lead::Column::Status.is_in(OPEN))
        // A duplicate points at the original, never at another duplicate.
        .filter(lead::Column::DuplicateOfLeadId.is_null());
    if let Some(id) = except {
        query = query.filter(lead::Column::Id.ne(id));
    }
    Ok(query.order_by_asc(lead::Column::Id).one(db).await?)
}

pub async fn account_with_domain_exists(db: &impl ConnectionTrait, domain: &str) -> Result<bool> {
    Ok(account::Entity::find()
        .filter(account::Column::Domain.eq(domain))
        .count(db)
        .await?
        > 0)
}

/// Whether an account's search text starts with `prefix` (lower-cased, see
/// `matching::company_prefix`). A range rather than `LIKE 'prefix%'`, so
/// that the index on `accounts.search_text` serves it on both databases.
pub async fn account_named_exists(db: &impl ConnectionTrait, prefix: &str) -> Result<bool> {
    Ok(account::Entity::find()
        .filter(account::Column::SearchText.gte(prefix))
        .filter(account::Column::SearchText.lt(prefix_end(prefix)))
        .one(db)
        .await?
        .is_some())
}

/// The least string above every string that starts with `prefix`, in byte
/// order (which UTF-8 keeps as code point order): `prefix` followed by the
/// last code point. Only a name continuing with U+10FFFF itself, a
/// noncharacter, falls outside.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Values per `IN (...)` list, leaving room for a statement's other parameters.
const IN_CHUNK: usize = MAX_BINDS - 100;

/// The leads named by any of these sources and external refs.
pub async fn find_by_external_refs(
    db: &impl ConnectionTrait,
    refs: &[(LeadSource, String)],
) -> Result<Vec<lead::Model>> {
    let wanted: HashSet<(LeadSource, &str)> = refs.iter().map(|(s, r)| (*s, r.as_str())).collect();
    let mut found = Vec::new();
    for chunk in refs.chunks(IN_CHUNK) {
        let sources: HashSet<LeadSource> = chunk.iter().map(|(s, _)| *s).collect();
        let rows = lead::Entity::find()
            .filter(lead::Column::Source.is_in(sources))
            .filter(lead::Column::ExternalRef.is_in(chunk.iter().map(|(_, r)| r.as_str())))
            .all(db)
            .await?;
        // The two lists cross: a ref of one source may be another's too.
        found.extend(rows.into_iter().filter(|l| {
            l.external_ref
                .as_deref()
                .is_some_and(|r| wanted.contains(&(l.source, r)))
        }));
    }
    // A chunk boundary may split one ref's sources: keep each lead once.
    let mut seen = HashSet::new();
    found.retain(|l| seen.insert(l.id));
    Ok(found)
}

/// Ids and emails of the open leads with any of these normalized emails that
/// later leads may point at (not themselves duplicates).
pub async fn open_originals_with_emails(
    db: &impl ConnectionTrait,
    emails: &[String],
) -> Result<Vec<(Uuid, String)>> {
    let mut found = Vec::new();
    for chunk in emails.chunks(IN_CHUNK) {
        let rows: Vec<(Uuid, Option<String>)> = lead::Entity::find()
            .select_only()
            .column(lead::Column::Id)
            .column(lead::Column::EmailNormalized)
            .filter(lead::Column::EmailNormalized.is_in(chunk.iter().map(String::as_str)))
            .filter(lead::Column::Status.is_in(OPEN))
            .filter(lead::Column::DuplicateOfLeadId.is_null())
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().filter_map(|(id, e)| Some((id, e?))));
    }
    Ok(found)
}

/// The oldest contact with each of these normalized emails, by email.
pub async fn oldest_contacts_with_emails(
    db: &impl ConnectionTrait,
    emails: &[String],
) -> Result<HashMap<String, Uuid>> {
    let mut oldest = HashMap::new();
    for chunk in emails.chunks(IN_CHUNK) {
        let rows: Vec<(Uuid, Option<String>)> = contact::Entity::find()
            .select_only()
            .column(contact::Column::Id)
            .column(contact::Column::EmailNormalized)
            .filter(contact::Column::EmailNormalized.is_in(chunk.iter().map(String::as_str)))
            .order_by_asc(contact::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        for (id, email) in rows {
            if let Some(email) = email {
                oldest.entry(email).or_insert(id);
            }
        }
    }
    Ok(oldest)
}

/// Which of these domains are an account's.
pub async fn account_domains_among(
    db: &impl ConnectionTrait,
    domains: &[String],
) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in domains.chunks(IN_CHUNK) {
        let rows: Vec<Option<String>> = account::Entity::find()
            .select_only()
            .column(account::Column::Domain)
            .filter(account::Column::Domain.is_in(chunk.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().flatten());
    }
    Ok(found)
}

/// Which of these prefixes (see [`account_named_exists`]) some account's
/// search text starts with: one statement for many, each prefix a range
/// probe on the index. The query builder has no `VALUES` list as a table;
/// both databases name its columns `column1`, `column2`.
pub async fn account_name_prefixes_among(
    db: &impl ConnectionTrait,
    prefixes: &[String],
) -> Result<HashSet<String>> {
    let backend = db.get_database_backend();
    let mut found = HashSet::new();
    for chunk in prefixes.chunks(MAX_BINDS / 2) {
        let mut sql = String::from("SELECT column1 FROM (VALUES ");
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 2);
        for (i, prefix) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&match backend {
                DbBackend::Postgres => format!("(${}, ${})", 2 * i + 1, 2 * i + 2),
                _ => "(?, ?)".to_owned(),
            });
            values.push(prefix.as_str().into());
            values.push(prefix_end(prefix).into());
        }
        sql.push_str(
            ") AS v WHERE EXISTS (SELECT 1 FROM accounts a \
             WHERE a.search_text >= v.column1 AND a.search_text < v.column2)",
        );
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        for row in rows {
            found.insert(row.try_get_by_index::<String>(0)?);
        }
    }
    Ok(found)
}

/// Inserts new leads in as few statements as the bind limit allows.
pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<lead::Model>) -> Result<()> {
    let per_statement = MAX_BINDS / lead::Column::iter().count();
    // Rows are moved into the statement, not copied: a 1,000-lead webhook
    // batch holds its rows several times over while the INSERT is built.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows
            .by_ref()
            .take(per_statement)
            .map(|row| row.into_active_model().reset_all())
            .collect();
        lead::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub struct ListFilter {
    pub statuses: Vec<LeadStatus>,
    pub sources: Vec<LeadSource>,
    pub owner_id: Option<String>,
    pub unassigned: Option<bool>,
    pub is_duplicate: Option<bool>,
    pub text: Option<String>,
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<lead::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if !filter.statuses.is_empty() {
        cond = cond.add(lead::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if !filter.sources.is_empty() {
        cond = cond.add(lead::Column::Source.is_in(filter.sources.iter().copied()));
    }
    if let Some(owner) = &filter.owner_id {
        cond = cond.add(lead::Column::OwnerId.eq(owner.as_str()));
    }
    match filter.unassigned {
        Some(true) => cond = cond.add(lead::Column::OwnerId.is_null()),
        Some(false) => cond = cond.add(lead::Column::OwnerId.is_not_null()),
        None => {}
    }
    match filter.is_duplicate {
        Some(true) => {
            cond = cond.add(
                Condition::any()
                    .add(lead::Column::DuplicateOfLeadId.is_not_null())
                    .add(lead::Column::DuplicateOfContactId.is_not_null()),
            )
        }
        Some(false) => {
            cond = cond
                .add(lead::Column::DuplicateOfLeadId.is_null())
                .add(lead::Column::DuplicateOfContactId.is_null())
        }
        None => {}
    }
    if let Some(text) = &filter.text {
        cond = cond.add(contains(lead::Column::SearchText, text));
    }
    if let Some(after) = filter.created_after {
        cond = cond.add(lead::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        cond = cond.add(lead::Column::CreatedAt.lt(before));
    }
    lead::Entity::find().filter(cond)
}

pub async fn insert(db: &impl ConnectionTrait, row: lead::ActiveModel) -> Result<lead::Model> {
    Ok(row.insert(db).await?)
}

pub async fn update(db: &impl ConnectionTrait, row: lead::ActiveModel) -> Result<lead::Model> {
    Ok(row.update(db).await?)
}

/// Writes the whole row if its status is still `expected`; false when a
/// concurrent change got there first.
pub async fn update_if_status(
    db: &impl ConnectionTrait,
    row: lead::Model,
    expected: LeadStatus,
) -> Result<bool> {
    let id = row.id;
    let result = lead::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(lead::Column::Id.eq(id))
        .filter(lead::Column::Status.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn the_byte_order_range_holds_exactly_the_strings_with_the_prefix() {
        let texts = [
            "acme",
            "acme gmbh",
            "acme\u{10FFFE}",
            "acmf",
            "acm",
            "acld",
            "ac",
            "",
            "ölwerk ag",
            "öl",
            "ölwerkz",
            "50% off ltd",
            "5_%",
            "z\u{1F600}",
        ];
        for prefix in ["acme", "öl", "50%", "5_", "z", "a"] {
            let end = prefix_end(prefix);
            for text in texts {
                // Rust compares `str` bytewise, as SQLite's BINARY and PostgreSQL's "C" do.
                let in_range = text >= prefix && text < end.as_str();
                assert_eq!(
                    in_range,
                    text.starts_with(prefix),
                    "{text:?} and {prefix:?}"
                );
            }
        }
    }
}
