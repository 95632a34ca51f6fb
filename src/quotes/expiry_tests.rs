//! Expiry at the service level. Through HTTP a quote can only be made valid
//! until today or later, and a test cannot wait for tomorrow; here a quote
//! whose `validUntil` has passed is written straight into a fresh SQLite
//! database and the services are called on it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, NaiveDate};
use entity::{
    DecimalText, account,
    enums::{OpportunityStage, QuoteStatus, SubjectKind},
    opportunity, price, product, quote, quote_line, transition,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::{lifecycle, repo, service, transitions};
use crate::{
    Error,
    auth::{Actor, Role, Visibility},
    db::{self, StoreSettings},
};

struct Fixture {
    db: DatabaseConnection,
    opportunity: Uuid,
    _dir: tempfile::TempDir,
}

fn manager() -> Actor {
    Actor {
        sub: "mia".into(),
        name: Some("Mia".into()),
        roles: [Role::SalesManager].into_iter().collect(),
        scopes: None,
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let settings = StoreSettings {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        db_max_connections: 2,
    };
    let db = db::connect(&settings, None).await.unwrap();
    db::migrate(&db).await.unwrap();
    let now = db::now();
    let account = account::Model {
        id: db::new_id(),
        name: "Acme".into(),
        domain: None,
        industry: None,
        owner_id: "mia".into(),
        erp_customer_ref: None,
        billing_customer_ref: None,
        search_text: "acme".into(),
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(&db)
    .await
    .unwrap();
    let opportunity = opportunity::Model {
        id: db::new_id(),
        account_id: account.id,
        name: "Acme rollout".into(),
        stage: OpportunityStage::Propose,
        amount_minor: None,
        currency: None,
        expected_close_date: now.date_naive(),
        probability_override: None,
        lead_id: None,
        lost_reason: None,
        lost_from_stage: None,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(&db)
    .await
    .unwrap();
    Fixture {
        db,
        opportunity: opportunity.id,
        _dir: dir,
    }
}

/// A quote in `status`, valid until `valid_until`, with one priced line.
async fn quote_in(f: &Fixture, status: QuoteStatus, valid_until: NaiveDate) -> quote::Model {
    let now = db::now();
    let product = product::Model {
        id: db::new_id(),
        sku: format!("SKU-{}", db::new_id().simple()),
        name: "Seat".into(),
        unit: "seat".into(),
        active: true,
        erp_item_code: None,
        search_text: "seat".into(),
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(&f.db)
    .await
    .unwrap();
    price::Model {
        product_id: product.id,
        currency: "EUR".into(),
        list_price: DecimalText(Decimal::new(10_000, 2)),
        updated_at: now,
    }
    .into_active_model()
    .insert(&f.db)
    .await
    .unwrap();
    let hundred = DecimalText(Decimal::new(10_000, 2));
    let zero = DecimalText(Decimal::ZERO);
    let quote = repo::insert(
        &f.db,
        quote::Model {
            id: db::new_id(),
            opportunity_id: f.opportunity,
            version: repo::max_version(&f.db, f.opportunity).await.unwrap() + 1,
            status,
            currency: "EUR".into(),
            valid_until,
            tax_rate: zero,
            subtotal: hundred,
            discount_total: zero,
            tax: zero,
            total: hundred,
            author_id: "sam".into(),
            approved_by: None,
            rejection_reason: None,
            revises_id: None,
            sent_at: None,
            accepted_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap();
    repo::insert_lines(
        &f.db,
        vec![quote_line::Model {
            id: db::new_id(),
            quote_id: quote.id,
            position: 1,
            product_id: product.id,
            quantity: DecimalText(Decimal::ONE),
            list_price: hundred,
            unit_price: hundred,
            price_overridden: false,
            discount_percent: zero,
            gross: hundred,
            net: hundred,
        }],
    )
    .await
    .unwrap();
    quote
}

async fn stored(f: &Fixture, id: Uuid) -> quote::Model {
    quote::Entity::find_by_id(id)
        .one(&f.db)
        .await
        .unwrap()
        .unwrap()
}

async fn history(f: &Fixture, id: Uuid) -> Vec<transition::Model> {
    transition::Entity::find()
        .filter(transition::Column::SubjectKind.eq(SubjectKind::Quote))
        .filter(transition::Column::SubjectId.eq(id))
        .order_by_asc(transition::Column::Id)
        .all(&f.db)
        .await
        .unwrap()
}

fn yesterday() -> NaiveDate {
    lifecycle::today() - Duration::days(1)
}

#[tokio::test]
async fn accepting_an_expired_quote_is_refused_and_its_expiry_recorded() {
    let f = fixture().await;
    let quote = quote_in(&f, QuoteStatus::Sent, yesterday()).await;
    let opp_before = opportunity::Entity::find_by_id(f.opportunity)
        .one(&f.db)
        .await
        .unwrap();

    let refused = transitions::accept(&f.db, &manager(), quote.id).await;
    match refused {
        Err(Error::InvalidTransition { from, to }) => {
            assert_eq!((from.as_str(), to.as_str()), ("EXPIRED", "ACCEPTED"));
        }
        other => panic!("expected INVALID_TRANSITION, got {other:?}"),
    }
    // The expiry is stored and recorded in a step of its own; nothing else changed.
    assert_eq!(stored(&f, quote.id).await.status, QuoteStatus::Expired);
    let entries = history(&f, quote.id).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].from_state.as_deref(), Some("SENT"));
    assert_eq!(entries[0].to_state, "EXPIRED");
    assert_eq!(entries[0].actor_id, "system");
    let opp_after = opportunity::Entity::find_by_id(f.opportunity)
        .one(&f.db)
        .await
        .unwrap();
    assert_eq!(opp_before, opp_after);

    // A second attempt refuses the same way and records nothing more.
    assert!(matches!(
        transitions::accept(&f.db, &manager(), quote.id).await,
        Err(Error::InvalidTransition { .. })
    ));
    assert_eq!(history(&f, quote.id).await.len(), 1);
}

#[tokio::test]
async fn a_quote_valid_until_today_is_still_open() {
    let f = fixture().await;
    let quote = quote_in(&f, QuoteStatus::Sent, lifecycle::today()).await;
    let accepted = transitions::accept(&f.db, &manager(), quote.id)
        .await
        .unwrap();
    assert_eq!(accepted.status, QuoteStatus::Accepted);
}

#[tokio::test]
async fn every_transition_and_edit_on_a_lapsed_quote_is_refused() {
    let f = fixture().await;
    let draft = quote_in(&f, QuoteStatus::Draft, yesterday()).await;
    let policy = super::QuotePolicy::default();
    assert!(matches!(
        transitions::submit(&f.db, &manager(), draft.id, &policy).await,
        Err(Error::InvalidTransition { from, .. }) if from == "EXPIRED"
    ));
    assert!(matches!(
        service::update(&f.db, &manager(), draft.id, service::QuotePatch::default()).await,
        Err(Error::Validation { field, .. }) if field == "id"
    ));
    let approved = quote_in(&f, QuoteStatus::Approved, yesterday()).await;
    assert!(matches!(
        transitions::send(&f.db, &manager(), approved.id).await,
        Err(Error::InvalidTransition { from, .. }) if from == "EXPIRED"
    ));
    let pending = quote_in(&f, QuoteStatus::PendingApproval, yesterday()).await;
    assert!(matches!(
        transitions::approve(&f.db, &manager(), pending.id).await,
        Err(Error::InvalidTransition { from, .. }) if from == "EXPIRED"
    ));
}

#[tokio::test]
async fn an_expired_quote_is_renewed_by_revising_it_with_a_new_date() {
    let f = fixture().await;
    let quote = quote_in(&f, QuoteStatus::Sent, yesterday()).await;
    assert!(matches!(
        transitions::revise(&f.db, &manager(), quote.id, None).await,
        Err(Error::Validation { field, .. }) if field == "validUntil"
    ));
    let next_week = lifecycle::today() + Duration::days(7);
    let draft = transitions::revise(&f.db, &manager(), quote.id, Some(next_week))
        .await
        .unwrap();
    assert_eq!(draft.status, QuoteStatus::Draft);
    assert_eq!(draft.version, quote.version + 1);
    assert_eq!(draft.valid_until, next_week);
    let steps: Vec<String> = history(&f, quote.id)
        .await
        .into_iter()
        .map(|t| t.to_state)
        .collect();
    assert_eq!(steps, ["EXPIRED", "SUPERSEDED"]);
    // The deal's amount follows the new draft.
    let opp = opportunity::Entity::find_by_id(f.opportunity)
        .one(&f.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (opp.amount_minor, opp.currency.as_deref()),
        (Some(10_000), Some("EUR"))
    );
}

#[tokio::test]
async fn lists_filter_on_the_status_the_api_shows() {
    let f = fixture().await;
    let lapsed = quote_in(&f, QuoteStatus::Sent, yesterday()).await;
    let open = quote_in(&f, QuoteStatus::Sent, lifecycle::today()).await;
    let ids = |status| {
        let filter = repo::ListFilter {
            opportunity_id: Some(f.opportunity),
            status: Some(status),
        };
        repo::list_query(&Visibility::All, &filter, lifecycle::today()).all(&f.db)
    };
    let ids_of = |rows: Vec<quote::Model>| rows.into_iter().map(|q| q.id).collect::<Vec<_>>();
    assert_eq!(
        ids_of(ids(QuoteStatus::Expired).await.unwrap()),
        vec![lapsed.id]
    );
    assert_eq!(ids_of(ids(QuoteStatus::Sent).await.unwrap()), vec![open.id]);
}
