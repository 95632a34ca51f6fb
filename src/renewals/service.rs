//! Setting a contract's term, and making its renewal: an opportunity for the
//! account with the contract's team, expected to close when the term ends,
//! and a draft quote with the contract's lines at the contract's prices
//! (lines of products no longer active are left out), in one transaction.

use chrono::NaiveDate;
use entity::{contract, enums::ContractStatus, opportunity, quote};
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use uuid::Uuid;

use super::repo;
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    contracts, db,
    opportunities::{
        self,
        service::{Opening, Terms},
    },
    quotes::{self, lines::LineRequest, service::NewQuote},
};

/// Sets when a contract's term starts and ends.
pub async fn set_term(
    db: &DatabaseConnection,
    actor: &Actor,
    contract_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<contract::Model> {
    actor.require(Capability::WriteAccounts)?;
    if end <= start {
        return Err(Error::validation("termEnd", "must be after termStart"));
    }
    let txn = db::begin_write(db).await?;
    let contract = crate::db::visible::get_as::<entity::contract::Entity>(
        &txn,
        actor,
        Capability::WriteAccounts,
        contract_id,
    )
    .await?;
    if contract.status == ContractStatus::Terminated {
        return Err(Error::validation(
            "contractId",
            "the contract is terminated",
        ));
    }
    repo::set_term(&txn, contract.id, start, end).await?;
    let updated = repo::find(&txn, contract.id)
        .await?
        .ok_or(Error::NotFound("contract"))?;
    txn.commit().await?;
    Ok(updated)
}

pub struct Renewal {
    pub opportunity: opportunity::Model,
    pub quote: Option<quote::Model>,
}

/// Makes the renewal of one contract, once.
pub async fn renew(db: &DatabaseConnection, actor: &Actor, contract_id: Uuid) -> Result<Renewal> {
    actor.require(Capability::WriteAccounts)?;
    let txn = db::begin_write(db).await?;
    let contract = crate::db::visible::get_as::<entity::contract::Entity>(
        &txn,
        actor,
        Capability::WriteAccounts,
        contract_id,
    )
    .await?;
    if !matches!(
        contract.status,
        ContractStatus::Signed | ContractStatus::Executing | ContractStatus::Completed
    ) {
        return Err(Error::validation(
            "contractId",
            "only a signed, executing or completed contract is renewed",
        ));
    }
    let Some(term_end) = contract.term_end else {
        return Err(Error::validation(
            "contractId",
            "set the contract's term first",
        ));
    };
    if contract.renewal_opportunity_id.is_some() {
        return Err(Error::Conflict(
            "this contract already has its renewal".into(),
        ));
    }
    let team = opportunities::repo::teams(&txn, &[contract.opportunity_id]).await?;
    let today = db::now().date_naive();
    let opportunity = opportunities::service::open_with(
        &txn,
        actor,
        Opening {
            account_id: contract.account_id,
            name: format!("Renewal of {}", contract.number),
            lead_id: None,
        },
        Terms {
            expected_close_date: term_end.max(today),
            amount: None,
            probability: None,
        },
    )
    .await?;

    let lines = contracts::repo::lines_of(&txn, &[contract.id]).await?;
    let product_ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    let active = repo::active_products(&txn, &product_ids).await?;
    let requests: Vec<LineRequest> = lines
        .iter()
        .filter(|l| active.contains(&l.product_id))
        .map(|l| LineRequest {
            product_id: l.product_id,
            quantity: l.quantity.0,
            unit_price: Some(l.unit_price.0),
            discount_percent: Some(l.discount_percent.0),
        })
        .collect();
    let tax_rate = repo::quote(&txn, contract.quote_id)
        .await?
        .map(|q| q.tax_rate.0);
    let quote = if requests.is_empty() {
        None
    } else {
        Some(
            quotes::service::create_in(
                &txn,
                actor,
                NewQuote {
                    opportunity_id: opportunity.id,
                    currency: contract.currency.clone(),
                    valid_until: term_end.max(today + chrono::Duration::days(30)),
                    tax_rate,
                    lines: requests,
                },
            )
            .await?,
        )
    };

    // The renewal is worked by the same iron triangle as the contract.
    if !team.is_empty() {
        opportunities::repo::delete_role(&txn, opportunity.id, entity::enums::TeamRole::Ar).await?;
        for member in team {
            opportunities::repo::insert_member(
                &txn,
                entity::team_member::ActiveModel {
                    opportunity_id: Set(opportunity.id),
                    user_id: Set(member.user_id),
                    role: Set(member.role),
                    added_at: Set(db::now()),
                },
            )
            .await?;
        }
    }
    if !repo::mark_renewed(&txn, contract.id, opportunity.id).await? {
        return Err(Error::Conflict(
            "this contract already has its renewal".into(),
        ));
    }
    txn.commit().await?;
    Ok(Renewal { opportunity, quote })
}

/// Renews every contract whose term ends within `lead_days`; returns how many.
/// Each renewal is its own transaction, so one failure does not stop the rest.
pub async fn renew_due(db: &DatabaseConnection, actor: &Actor, lead_days: i64) -> Result<usize> {
    let until = db::now().date_naive() + chrono::Duration::days(lead_days);
    let mut made = 0;
    for contract in repo::due_for_renewal(db, until, 100).await? {
        match renew(db, actor, contract.id).await {
            Ok(_) => made += 1,
            Err(Error::Conflict(_)) => {}
            Err(error) => {
                tracing::warn!(contract = %contract.id, error = %error, "renewal not made");
            }
        }
    }
    Ok(made)
}
