//! The GraphQL face of contracts: the `Contract` type, its queries and mutations.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Object, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entity::{contract, contract_line, enums, payment_milestone};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    loader::{ContractLinesLoader, PaymentTermsLoader},
    repo::ListFilter,
    service,
    terms::Term,
};
use crate::{
    accounts::schema::{Account, load_account},
    db::SortValue,
    graphql::{
        context::ContextExt,
        money::MoneyOut,
        pagination::{Conn, SortDirection, cost, page_request, paged},
    },
    history::schema::{Transition, history_of},
    opportunities::schema::{Opportunity, TeamRole, load_opportunity},
    products::schema::{Product, load_product},
    quotes::{
        pricing,
        schema::{Quote, load_quote, money},
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::ContractStatus")]
pub enum ContractStatus {
    Draft,
    Signed,
    Executing,
    Completed,
    Terminated,
}

/// What makes a payment milestone due.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::MilestoneTrigger")]
pub enum MilestoneTrigger {
    OnSigning,
    /// Each purchase order's delivery.
    OnDelivery,
    /// Each purchase order's acceptance.
    OnAcceptance,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::HandoverMethod")]
pub enum HandoverMethod {
    Meeting,
    Email,
    Document,
}

/// A line copied from the accepted quote.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ContractLine {
    /// What a purchase order line draws on (`contractLineId`).
    pub id: Uuid,
    pub position: i32,
    pub product_id: Uuid,
    pub quantity: Decimal,
    pub unit_price: MoneyOut,
    pub discount_percent: Decimal,
    pub gross: MoneyOut,
    pub net: MoneyOut,
}

impl ContractLine {
    fn new(l: contract_line::Model, currency: &str) -> Self {
        ContractLine {
            id: l.id,
            position: l.position,
            product_id: l.product_id,
            quantity: l.quantity.0,
            unit_price: money(l.unit_price.0, currency),
            discount_percent: l.discount_percent.0,
            gross: money(l.gross.0, currency),
            net: money(l.net.0, currency),
        }
    }
}

#[ComplexObject]
impl ContractLine {
    /// The product; null when the caller may not read the catalogue.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        load_product(ctx, Some(self.product_id)).await
    }
}

/// One payment milestone.
#[derive(SimpleObject)]
pub struct PaymentTerm {
    pub position: i32,
    pub trigger: MilestoneTrigger,
    /// Percent of the value the trigger applies to.
    pub percent: Decimal,
    /// Days from the trigger until payment is due.
    pub due_in_days: i32,
}

impl From<payment_milestone::Model> for PaymentTerm {
    fn from(m: payment_milestone::Model) -> Self {
        PaymentTerm {
            position: m.position,
            trigger: m.trigger.into(),
            percent: m.percent.0,
            due_in_days: m.due_days,
        }
    }
}

/// How sales handed the contract over to delivery.
#[derive(SimpleObject)]
pub struct Handover {
    pub method: HandoverMethod,
    pub notes: Option<String>,
    /// The `sub` of who handed it over.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The agreement made from an accepted quote.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Contract {
    pub id: Uuid,
    /// Human-readable and unique: `C-2026-000042`.
    pub number: String,
    pub status: ContractStatus,
    pub opportunity_id: Uuid,
    pub account_id: Uuid,
    pub quote_id: Uuid,
    /// ISO 4217 code, the quote's.
    pub currency: String,
    pub subtotal: MoneyOut,
    pub discount_total: MoneyOut,
    pub tax: MoneyOut,
    pub total: MoneyOut,
    /// `discountTotal / subtotal × 100`, two decimals.
    pub discount_percent: Decimal,
    pub signed_at: Option<DateTime<Utc>>,
    /// Set once sales has handed the contract over.
    pub handover: Option<Handover>,
    pub execution_started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub terminated_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<contract::Model> for Contract {
    fn from(m: contract::Model) -> Self {
        let c = m.currency.as_str();
        let handover = match (m.handover_method, m.handed_over_by, m.handed_over_at) {
            (Some(method), Some(by), Some(at)) => Some(Handover {
                method: method.into(),
                notes: m.handover_notes,
                by,
                at,
            }),
            _ => None,
        };
        Contract {
            id: m.id,
            status: m.status.into(),
            opportunity_id: m.opportunity_id,
            account_id: m.account_id,
            quote_id: m.quote_id,
            subtotal: money(m.subtotal.0, c),
            discount_total: money(m.discount_total.0, c),
            tax: money(m.tax.0, c),
            total: money(m.total.0, c),
            discount_percent: pricing::discount_percent(m.subtotal.0, m.discount_total.0),
            signed_at: m.signed_at,
            handover,
            execution_started_at: m.execution_started_at,
            completed_at: m.completed_at,
            terminated_reason: m.terminated_reason,
            created_at: m.created_at,
            updated_at: m.updated_at,
            number: m.number,
            currency: m.currency,
        }
    }
}

#[ComplexObject]
impl Contract {
    /// The customer's purchase orders against this contract, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn purchase_orders(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::purchase_orders::schema::PurchaseOrder>> {
        if !ctx.actor()?.can(crate::auth::Capability::ReadOrders) {
            return Ok(vec![]);
        }
        let loader = ctx.data::<DataLoader<crate::purchase_orders::loader::OrdersByContract>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// What the customer owes under this contract, by milestone.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn receivables(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::receivables::schema::Receivable>> {
        if !ctx.actor()?.can(crate::auth::Capability::ReadReceivables) {
            return Ok(vec![]);
        }
        let loader = ctx.data::<DataLoader<crate::receivables::loader::ReceivablesByContract>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Who leads the contract: the SR until the handover, the FR from then on.
    async fn leading_role(&self) -> TeamRole {
        if self.handover.is_some() {
            TeamRole::Fr
        } else {
            TeamRole::Sr
        }
    }

    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContractLine>> {
        let loader = ctx.data::<DataLoader<ContractLinesLoader>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|l| ContractLine::new(l, &self.currency))
            .collect())
    }

    /// The milestones it is paid by, summing to 100 %.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn payment_terms(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PaymentTerm>> {
        let loader = ctx.data::<DataLoader<PaymentTermsLoader>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(PaymentTerm::from)
            .collect())
    }

    async fn opportunity(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Opportunity>> {
        load_opportunity(ctx, Some(self.opportunity_id)).await
    }

    /// The accepted quote it was made from.
    async fn quote(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Quote>> {
        load_quote(ctx, Some(self.quote_id)).await
    }

    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        load_account(ctx, Some(self.account_id)).await
    }

    /// Every status change, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Transition>> {
        history_of(ctx, self.id).await
    }
}

#[derive(InputObject)]
pub struct PaymentTermInput {
    pub trigger: MilestoneTrigger,
    /// Above 0, at most 2 decimals; all milestones sum to exactly 100.
    pub percent: Decimal,
    /// 0–3650.
    pub due_in_days: i32,
}

impl From<&PaymentTermInput> for Term {
    fn from(t: &PaymentTermInput) -> Self {
        Term {
            trigger: t.trigger.into(),
            percent: t.percent,
            due_in_days: t.due_in_days,
        }
    }
}

#[derive(InputObject, Default)]
pub struct ContractFilter {
    pub opportunity_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub quote_id: Option<Uuid>,
    pub status: Option<ContractStatus>,
}

#[derive(Default)]
pub struct ContractQuery;

#[Object]
impl ContractQuery {
    async fn contract(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Contract> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Contracts on deals the caller sees, by creation time (newest first by default).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn contracts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ContractFilter>,
        #[graphql(default)] direction: SortDirection,
    ) -> async_graphql::Result<Conn<Contract>> {
        let page = page_request(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let filter = ListFilter {
            opportunity_id: filter.opportunity_id,
            account_id: filter.account_id,
            quote_id: filter.quote_id,
            status: filter.status.map(Into::into),
        };
        paged(
            service::list(ctx.db()?, ctx.actor()?, filter, direction.into(), page),
            |r| (SortValue::Time(r.created_at), r.id),
            Contract::from,
        )
        .await
    }
}

/// `startContractExecution` without a handover is the one refusal whose
/// cause the `from`/`to` pair does not tell; its message says what to do.
/// The code and extensions still come from `Error::annotate`.
fn hand_over_first(err: crate::Error) -> async_graphql::Error {
    let hint = matches!(&err, crate::Error::InvalidTransition { from, to } if from == "SIGNED" && to == "EXECUTING");
    let mut gql = async_graphql::Error::from(err);
    if hint {
        gql.message =
            "hand the contract over to its FR first (handOverContract), then start execution"
                .into();
    }
    gql
}

#[derive(Default)]
pub struct ContractMutation;

#[Object]
impl ContractMutation {
    /// Makes a `DRAFT` contract from an `ACCEPTED` quote (anything else:
    /// `VALIDATION`, field `quoteId`), copying its lines, totals and currency.
    /// The payment terms must sum to exactly 100 % (else `VALIDATION`, field
    /// `paymentTerms`). One contract per quote: a second is a `CONFLICT`.
    async fn create_contract_from_quote(
        &self,
        ctx: &Context<'_>,
        quote_id: Uuid,
        payment_terms: Vec<PaymentTermInput>,
    ) -> async_graphql::Result<Contract> {
        let terms: Vec<Term> = payment_terms.iter().map(Term::from).collect();
        Ok(
            service::create_from_quote(ctx.db()?, ctx.actor()?, quote_id, &terms)
                .await?
                .into(),
        )
    }

    /// `DRAFT → SIGNED` (`signedAt` defaults to now and may not be in the
    /// future); the opportunity becomes `WON` in the same step.
    async fn sign_contract(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        signed_at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Contract> {
        Ok(service::sign(ctx.db()?, ctx.actor()?, id, signed_at)
            .await?
            .into())
    }

    /// Sales hands a `SIGNED` contract over to delivery: by the deal's AR or
    /// SR (or a manager; anyone else `FORBIDDEN`), with an FR on the team
    /// (none: `VALIDATION`). Once only: a second handover is a `CONFLICT`.
    async fn hand_over_contract(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        method: HandoverMethod,
        notes: Option<String>,
    ) -> async_graphql::Result<Contract> {
        Ok(
            service::hand_over(ctx.db()?, ctx.actor()?, id, method.into(), notes.as_deref())
                .await?
                .into(),
        )
    }

    /// `SIGNED → EXECUTING`, only after the handover (else `INVALID_TRANSITION`).
    async fn start_contract_execution(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Contract> {
        Ok(service::start_execution(ctx.db()?, ctx.actor()?, id)
            .await
            .map_err(hand_over_first)?
            .into())
    }

    /// `EXECUTING → COMPLETED`.
    async fn complete_contract(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Contract> {
        Ok(service::complete(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// `DRAFT | SIGNED | EXECUTING → TERMINATED`, with a reason.
    async fn terminate_contract(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> async_graphql::Result<Contract> {
        Ok(service::terminate(ctx.db()?, ctx.actor()?, id, &reason)
            .await?
            .into())
    }
}
