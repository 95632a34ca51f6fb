//! A tiny seed into a fresh SQLite file: the counts come out as planned,
//! the money adds up, and the same seed gives the same rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{
    contract, enums::PurchaseOrderStatus, lead, opportunity, payment, purchase_order, quote,
    quote_line, receivable,
};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};
use uuid::Uuid;

use super::{Counts, Options, run};
use crate::db::StoreSettings;

async fn fresh_database(dir: &tempfile::TempDir) -> DatabaseConnection {
    let store = StoreSettings {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        db_max_connections: 2,
    };
    let db = crate::db::connect(&store, None).await.unwrap();
    crate::db::migrate(&db).await.unwrap();
    db
}

fn options() -> Options {
    Options {
        scale: 0.004,
        seed: 7,
        as_of: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    }
}

fn minor(amount: Decimal) -> i64 {
    i64::try_from(amount * Decimal::ONE_HUNDRED).unwrap()
}

#[tokio::test]
async fn a_tiny_seed_has_the_planned_counts_and_its_money_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let counts = run(&db, &options(), &|_| {}).await.unwrap();
    assert_eq!(counts, Counts::at(0.004));

    assert_eq!(
        entity::account::Entity::find().count(&db).await.unwrap() as usize,
        counts.accounts
    );
    assert_eq!(
        lead::Entity::find().count(&db).await.unwrap() as usize,
        counts.leads
    );
    assert_eq!(
        opportunity::Entity::find().count(&db).await.unwrap() as usize,
        counts.opportunities
    );
    assert_eq!(
        quote::Entity::find().count(&db).await.unwrap() as usize,
        counts.quotes
    );
    let contracts = contract::Entity::find().all(&db).await.unwrap();
    assert_eq!(contracts.len(), counts.contracts);
    let orders = purchase_order::Entity::find().all(&db).await.unwrap();
    assert_eq!(orders.len(), counts.purchase_orders);

    // Quote totals are the sums of their lines.
    let lines = quote_line::Entity::find().all(&db).await.unwrap();
    let mut net_by_quote: HashMap<Uuid, (Decimal, usize)> = HashMap::new();
    for line in &lines {
        let entry = net_by_quote.entry(line.quote_id).or_default();
        entry.0 += line.net.0;
        entry.1 += 1;
    }
    for q in quote::Entity::find().all(&db).await.unwrap() {
        let (net, n) = net_by_quote[&q.id];
        assert!((5..=20).contains(&n), "quote {} has {n} lines", q.id);
        assert_eq!(q.subtotal.0 - q.discount_total.0, net);
        assert_eq!(net + q.tax.0, q.total.0);
    }

    // PO values add up to the contract total; receivables add up to it once
    // every PO is accepted, and never pass it.
    let receivables = receivable::Entity::find().all(&db).await.unwrap();
    assert!(!receivables.is_empty());
    let mut checked_complete = 0;
    for c in &contracts {
        let total = minor(c.total.0);
        let its_orders: Vec<_> = orders.iter().filter(|o| o.contract_id == c.id).collect();
        assert!(!its_orders.is_empty());
        let values: Decimal = its_orders.iter().map(|o| o.total.0).sum();
        assert_eq!(values, c.total.0, "PO values of {}", c.number);
        let raised: i64 = receivables
            .iter()
            .filter(|r| r.contract_id == c.id)
            .map(|r| r.amount_minor)
            .sum();
        if its_orders
            .iter()
            .all(|o| o.status == PurchaseOrderStatus::Accepted)
        {
            assert_eq!(raised, total, "receivables of {}", c.number);
            checked_complete += 1;
        } else {
            assert!(raised <= total, "receivables of {}", c.number);
        }
    }
    assert!(checked_complete > 0);

    // Payments add up to what each receivable says was paid.
    let payments = payment::Entity::find().all(&db).await.unwrap();
    for r in &receivables {
        let paid: i64 = payments
            .iter()
            .filter(|p| p.receivable_id == r.id)
            .map(|p| p.amount_minor)
            .sum();
        assert_eq!(paid, r.paid_minor);
        assert!(r.paid_minor <= r.amount_minor);
    }

    // Every lead's score is the sum of its factors.
    for l in lead::Entity::find().all(&db).await.unwrap() {
        let factors = l.score_factors.as_array().unwrap();
        let sum: i64 = factors.iter().map(|f| f["points"].as_i64().unwrap()).sum();
        assert_eq!(sum, i64::from(l.score));
    }

    // A second seed into the same database is refused.
    assert!(run(&db, &options(), &|_| {}).await.is_err());
}

#[tokio::test]
async fn the_same_seed_gives_the_same_rows() {
    let mut firsts = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_database(&dir).await;
        run(&db, &options(), &|_| {}).await.unwrap();
        let leads = lead::Entity::find()
            .order_by_asc(lead::Column::Id)
            .all(&db)
            .await
            .unwrap();
        let contracts = contract::Entity::find()
            .order_by_asc(contract::Column::Id)
            .all(&db)
            .await
            .unwrap();
        firsts.push((leads, contracts));
    }
    assert_eq!(firsts[0], firsts[1]);
}
