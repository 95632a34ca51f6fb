//! The GraphQL face of purchase orders.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Object, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entity::{enums, purchase_order, purchase_order_line};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    lifecycle,
    loader::OrderLinesLoader,
    repo::ListFilter,
    service::{self, NewOrder},
};
use crate::{
    accounts::schema::{Account, load_account},
    connectors::erp::ErpSettings,
    db::SortValue,
    graphql::{
        context::ContextExt,
        money::MoneyOut,
        pagination::{Conn, SortDirection, cost, nested_list_cost, page_request, paged},
    },
    history::schema::{Transition, history_of},
    purchase_orders::erp_push as erp,
    receivables::{loader::ReceivablesByOrder, schema::Receivable},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::PurchaseOrderStatus")]
pub enum PurchaseOrderStatus {
    Received,
    InFulfillment,
    Delivered,
    Accepted,
    Cancelled,
}

/// Where a PO stands in the ERP.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::ErpSyncStatus")]
pub enum ErpSyncStatus {
    Pending,
    Synced,
    /// Failed; will be retried.
    Failed,
    /// Gave up; a person may retry.
    Dead,
}

#[derive(SimpleObject)]
pub struct ErpSync {
    pub status: ErpSyncStatus,
    /// The sales order's id in the ERP, once synced.
    pub erp_order_ref: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

#[derive(SimpleObject)]
pub struct PurchaseOrderLine {
    pub id: Uuid,
    pub contract_line_id: Uuid,
    pub quantity: Decimal,
    /// This quantity's share of the contract line's net value.
    pub net: MoneyOut,
}

/// A customer's purchase order: the unit of delivery, drawn from a contract.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PurchaseOrder {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub account_id: Uuid,
    pub po_number: String,
    pub status: PurchaseOrderStatus,
    /// The PO's share of the contract total (net plus tax).
    pub total: MoneyOut,
    pub delivered_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub cancelled_reason: Option<String>,
    pub erp_sync: ErpSync,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub currency: String,
}

impl From<purchase_order::Model> for PurchaseOrder {
    fn from(m: purchase_order::Model) -> Self {
        PurchaseOrder {
            id: m.id,
            contract_id: m.contract_id,
            account_id: m.account_id,
            po_number: m.po_number,
            status: m.status.into(),
            total: MoneyOut {
                amount: m.total.0,
                currency: m.currency.clone(),
            },
            delivered_at: m.delivered_at,
            accepted_at: m.accepted_at,
            cancelled_reason: m.cancelled_reason,
            erp_sync: ErpSync {
                status: m.erp_sync_status.into(),
                erp_order_ref: m.erp_order_ref,
                attempts: m.erp_attempts,
                last_error: m.erp_last_error,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
            currency: m.currency,
        }
    }
}

#[ComplexObject]
impl PurchaseOrder {
    #[graphql(complexity = "nested_list_cost(child_complexity)")]
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PurchaseOrderLine>> {
        let loader = ctx.data::<DataLoader<OrderLinesLoader>>()?;
        let rows: Vec<purchase_order_line::Model> =
            loader.load_one(self.id).await?.unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|l| PurchaseOrderLine {
                id: l.id,
                contract_line_id: l.contract_line_id,
                quantity: l.quantity.0.normalize(),
                net: MoneyOut {
                    amount: l.net.0,
                    currency: self.currency.clone(),
                },
            })
            .collect())
    }

    /// The receivables this PO's delivery and acceptance raised.
    #[graphql(complexity = "nested_list_cost(child_complexity)")]
    async fn receivables(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Receivable>> {
        if !ctx.actor()?.can(crate::auth::Capability::ReadReceivables) {
            return Ok(vec![]);
        }
        let loader = ctx.data::<DataLoader<ReceivablesByOrder>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Receivable::from)
            .collect())
    }

    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        load_account(ctx, Some(self.account_id)).await
    }

    /// Every status change, oldest first.
    #[graphql(complexity = "nested_list_cost(child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Transition>> {
        history_of(ctx, self.id).await
    }
}

#[derive(InputObject)]
pub struct PurchaseOrderLineInput {
    pub contract_line_id: Uuid,
    pub quantity: Decimal,
}

#[derive(InputObject, Default)]
pub struct PurchaseOrderFilter {
    pub contract_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    #[graphql(default)]
    pub status: Vec<PurchaseOrderStatus>,
    #[graphql(default)]
    pub erp_sync_status: Vec<ErpSyncStatus>,
}

#[derive(Default)]
pub struct PurchaseOrderQuery;

#[Object]
impl PurchaseOrderQuery {
    async fn purchase_order(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<PurchaseOrder> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// POs the caller sees, by creation time (newest first by default).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn purchase_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PurchaseOrderFilter>,
        #[graphql(default)] direction: SortDirection,
    ) -> async_graphql::Result<Conn<PurchaseOrder>> {
        let page = page_request(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let filter = ListFilter {
            contract_id: f.contract_id,
            account_id: f.account_id,
            statuses: f.status.into_iter().map(Into::into).collect(),
            erp_sync_statuses: f.erp_sync_status.into_iter().map(Into::into).collect(),
        };
        paged(
            service::list(ctx.db()?, ctx.actor()?, filter, direction.into(), page),
            |r| (SortValue::Time(r.created_at), r.id),
            PurchaseOrder::from,
        )
        .await
    }
}

#[derive(Default)]
pub struct PurchaseOrderMutation;

#[Object]
impl PurchaseOrderMutation {
    /// Records the customer's PO against a signed or executing contract.
    async fn create_purchase_order(
        &self,
        ctx: &Context<'_>,
        contract_id: Uuid,
        po_number: String,
        lines: Vec<PurchaseOrderLineInput>,
    ) -> async_graphql::Result<PurchaseOrder> {
        let new = NewOrder {
            contract_id,
            po_number,
            lines: lines
                .into_iter()
                .map(|l| (l.contract_line_id, l.quantity))
                .collect(),
        };
        let erp_enabled = ctx.data::<ErpSettings>()?.enabled();
        Ok(service::create(ctx.db()?, ctx.actor()?, new, erp_enabled)
            .await?
            .into())
    }

    /// Pushes the PO to the ERP again, now and with fresh attempts, after
    /// its sync `FAILED` or went `DEAD` (e.g. once a missing mapping is
    /// set), or a `PENDING` one taken while no ERP was configured. Refused
    /// on a `SYNCED` PO (`INVALID_TRANSITION`), while a push is running
    /// (`CONFLICT`), and when no ERP is configured (`VALIDATION`).
    async fn retry_erp_sync(
        &self,
        ctx: &Context<'_>,
        po_id: Uuid,
    ) -> async_graphql::Result<PurchaseOrder> {
        let erp = ctx.data::<ErpSettings>()?;
        Ok(erp::service::retry(ctx.db()?, ctx.actor()?, erp, po_id)
            .await?
            .into())
    }

    /// `RECEIVED → IN_FULFILLMENT`.
    async fn start_fulfillment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<PurchaseOrder> {
        Ok(lifecycle::start_fulfillment(ctx.db()?, ctx.actor()?, id)
            .await?
            .into())
    }

    /// `IN_FULFILLMENT → DELIVERED`.
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        delivered_at: DateTime<Utc>,
    ) -> async_graphql::Result<PurchaseOrder> {
        Ok(
            lifecycle::mark_delivered(ctx.db()?, ctx.actor()?, id, delivered_at)
                .await?
                .into(),
        )
    }

    /// `DELIVERED → ACCEPTED`.
    async fn accept_delivery(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        accepted_at: DateTime<Utc>,
    ) -> async_graphql::Result<PurchaseOrder> {
        Ok(
            lifecycle::accept_delivery(ctx.db()?, ctx.actor()?, id, accepted_at)
                .await?
                .into(),
        )
    }

    /// `RECEIVED | IN_FULFILLMENT → CANCELLED` (not after delivery).
    async fn cancel_purchase_order(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> async_graphql::Result<PurchaseOrder> {
        Ok(lifecycle::cancel(ctx.db()?, ctx.actor()?, id, &reason)
            .await?
            .into())
    }
}

/// Resolves a related PO through the batch loader; `None` when hidden.
pub async fn load_order(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<PurchaseOrder>> {
    let Some(id) = id else { return Ok(None) };
    if !ctx.actor()?.can(crate::auth::Capability::ReadOrders) {
        return Ok(None);
    }
    let loader = ctx.data::<DataLoader<super::loader::OrderLoader>>()?;
    Ok(loader.load_one(id).await?.map(PurchaseOrder::from))
}
