//! The GraphQL face of receivables, payments, aging and DSO.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Object, SimpleObject,
    dataloader::{DataLoader, HashMapCache},
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums, payment, receivable};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    aging::{self, Buckets},
    loader::PaymentsLoader,
    repo::ListFilter,
    service::{self, NewPayment},
};
use crate::{
    Error,
    accounts::schema::{Account, load_account},
    connectors::billing::Billing,
    contracts::schema::MilestoneTrigger,
    db::SortValue,
    graphql::{
        context::ContextExt,
        money::{MoneyInput, MoneyOut},
        pagination::{Conn, SortDirection, cost, nested_list_cost, page_request, paged},
    },
    history::schema::{Transition, history_of},
    receivables::billing_sync::sync_payment_status,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::ReceivableStatus")]
pub enum ReceivableStatus {
    Planned,
    Invoiced,
    PartiallyPaid,
    Paid,
    WrittenOff,
    Cancelled,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::PaymentSource")]
pub enum PaymentSource {
    Manual,
    Billing,
}

/// Cash received against a receivable.
#[derive(SimpleObject)]
pub struct Payment {
    pub id: Uuid,
    pub amount: MoneyOut,
    pub received_at: DateTime<Utc>,
    pub reference: String,
    pub source: PaymentSource,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<payment::Model> for Payment {
    fn from(m: payment::Model) -> Self {
        Payment {
            id: m.id,
            amount: MoneyOut::in_minor_units(m.amount_minor, &m.currency),
            received_at: m.received_at,
            reference: m.reference,
            source: m.source.into(),
            recorded_by: m.recorded_by,
            created_at: m.created_at,
        }
    }
}

/// What a customer owes for one payment milestone.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Receivable {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub account_id: Uuid,
    /// Set for delivery and acceptance milestones.
    pub purchase_order_id: Option<Uuid>,
    pub trigger: MilestoneTrigger,
    pub status: ReceivableStatus,
    pub amount: MoneyOut,
    pub paid: MoneyOut,
    pub outstanding: MoneyOut,
    pub due_date: NaiveDate,
    pub billing_invoice_id: Option<String>,
    pub invoiced_at: Option<DateTime<Utc>>,
    /// The invoice's status in the billing system at the last sync, as the
    /// billing system spells it: `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub billing_status: Option<String>,
    /// When the invoice was last read from the billing system.
    pub billing_synced_at: Option<DateTime<Utc>>,
    /// What the last billing sync found that finance must decide on; never
    /// acted on automatically: `VOID`, `UNCOLLECTIBLE` (the billing system
    /// voided the invoice or gave up on it), `OVERPAID` (it reports more paid
    /// than is outstanding; nothing was recorded), `CURRENCY_MISMATCH`,
    /// `AMOUNT_MISMATCH` (its amounts disagree with the payments already
    /// pulled from it), `PAID_SHORT` (it says paid, but the payments do not
    /// cover the amount). Null when all is in order.
    pub billing_flag: Option<String>,
    /// Why it was written off or cancelled.
    pub closed_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub model: receivable::Model,
}

impl From<receivable::Model> for Receivable {
    fn from(m: receivable::Model) -> Self {
        Receivable {
            id: m.id,
            contract_id: m.contract_id,
            account_id: m.account_id,
            purchase_order_id: m.purchase_order_id,
            trigger: m.trigger.into(),
            status: m.status.into(),
            amount: MoneyOut::in_minor_units(m.amount_minor, &m.currency),
            paid: MoneyOut::in_minor_units(m.paid_minor, &m.currency),
            outstanding: MoneyOut::in_minor_units(m.amount_minor - m.paid_minor, &m.currency),
            due_date: m.due_date,
            billing_invoice_id: m.billing_invoice_id.clone(),
            invoiced_at: m.invoiced_at,
            billing_status: m.billing_status.clone(),
            billing_synced_at: m.billing_synced_at,
            billing_flag: m.billing_flag.clone(),
            closed_reason: m.closed_reason.clone(),
            closed_at: m.closed_at,
            created_at: m.created_at,
            model: m,
        }
    }
}

#[ComplexObject]
impl Receivable {
    /// Past its due date today (UTC) and still owed.
    async fn overdue(&self) -> bool {
        service::days_overdue(&self.model, Utc::now().date_naive()) > 0
    }

    /// Days past due today (UTC) while still owed; 0 otherwise.
    async fn days_overdue(&self) -> i64 {
        service::days_overdue(&self.model, Utc::now().date_naive())
    }

    #[graphql(complexity = "nested_list_cost(child_complexity)")]
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Payment>> {
        let loader = ctx.data::<DataLoader<PaymentsLoader, HashMapCache>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Payment::from)
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

/// Owed amounts per aging bucket.
#[derive(SimpleObject)]
pub struct AgingBuckets {
    /// Not yet due.
    pub current: MoneyOut,
    pub days_1_to_30: MoneyOut,
    pub days_31_to_60: MoneyOut,
    pub days_61_to_90: MoneyOut,
    pub over_90_days: MoneyOut,
    pub total: MoneyOut,
}

impl AgingBuckets {
    fn new(b: &Buckets, currency: &str) -> Self {
        AgingBuckets {
            current: MoneyOut::in_minor_units(b.current, currency),
            days_1_to_30: MoneyOut::in_minor_units(b.days_1_30, currency),
            days_31_to_60: MoneyOut::in_minor_units(b.days_31_60, currency),
            days_61_to_90: MoneyOut::in_minor_units(b.days_61_90, currency),
            over_90_days: MoneyOut::in_minor_units(b.days_over_90, currency),
            total: MoneyOut::in_minor_units(b.total(), currency),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AccountAging {
    pub account_id: Uuid,
    pub buckets: AgingBuckets,
}

#[ComplexObject]
impl AccountAging {
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        load_account(ctx, Some(self.account_id)).await
    }
}

/// Accounts per page of an aging report unless `first` or `last` says otherwise.
const AGING_PAGE_SIZE: i32 = 50;

/// `first`, or the default page when neither `first` nor `last` is given.
fn aging_first(first: Option<i32>, last: Option<i32>) -> Option<i32> {
    first.or(last.is_none().then_some(AGING_PAGE_SIZE))
}

fn aging_accounts_cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    cost(aging_first(first, last), last, child)
}

/// What is owed at the end of `asOf`; each part is read only when asked for.
pub struct ReceivablesAging(aging::Aging);

#[Object]
impl ReceivablesAging {
    async fn as_of(&self) -> NaiveDate {
        self.0.as_of
    }

    async fn currency(&self) -> &str {
        self.0.currency.code()
    }

    async fn overall(&self, ctx: &Context<'_>) -> async_graphql::Result<AgingBuckets> {
        let buckets = aging::overall(ctx.db()?, &self.0).await?;
        Ok(AgingBuckets::new(&buckets, self.0.currency.code()))
    }

    /// Accounts with anything owed, most owed first (then by account id);
    /// 50 per page unless `first` or `last` says otherwise, at most 100.
    #[graphql(complexity = "aging_accounts_cost(first, last, child_complexity)")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<AccountAging>> {
        let page = page_request(aging_first(first, last), after, last, before)?;
        let code = self.0.currency.code();
        paged(
            aging::accounts(ctx.db()?, &self.0, page),
            |(id, b)| (SortValue::Int(b.total()), *id),
            |(id, b)| AccountAging {
                account_id: id,
                buckets: AgingBuckets::new(&b, code),
            },
        )
        .await
    }
}

/// Days sales outstanding: owed ÷ invoiced in the period × its days.
#[derive(SimpleObject)]
pub struct Dso {
    /// Null when nothing was invoiced in the period.
    pub days: Option<Decimal>,
    pub owed: MoneyOut,
    pub invoiced: MoneyOut,
}

#[derive(InputObject, Default)]
pub struct ReceivableFilter {
    pub contract_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    #[graphql(default)]
    pub status: Vec<ReceivableStatus>,
    /// Only those past due today and still owed.
    pub overdue: Option<bool>,
}

#[derive(Default)]
pub struct ReceivableQuery;

#[Object]
impl ReceivableQuery {
    async fn receivable(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Receivable> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Receivables the caller sees, by due date (soonest first by default).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn receivables(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ReceivableFilter>,
        #[graphql(default_with = "SortDirection::Asc")] direction: SortDirection,
    ) -> async_graphql::Result<Conn<Receivable>> {
        let page = page_request(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let filter = ListFilter {
            contract_id: f.contract_id,
            account_id: f.account_id,
            statuses: f.status.into_iter().map(Into::into).collect(),
            overdue_on: f.overdue.filter(|o| *o).map(|_| Utc::now().date_naive()),
        };
        paged(
            service::list(ctx.db()?, ctx.actor()?, filter, direction.into(), page),
            |r| (SortValue::Date(r.due_date), r.id),
            Receivable::from,
        )
        .await
    }

    /// What is owed at the end of `asOf` (UTC), per aging bucket, overall and per account.
    #[graphql(complexity = "crate::graphql::pagination::report_cost(child_complexity)")]
    async fn receivables_aging(
        &self,
        ctx: &Context<'_>,
        as_of: NaiveDate,
        currency: String,
    ) -> async_graphql::Result<ReceivablesAging> {
        Ok(ReceivablesAging(aging::report(
            ctx.actor()?,
            as_of,
            &currency,
        )?))
    }

    /// Days sales outstanding at `asOf` over the `days` before it.
    #[graphql(complexity = "crate::graphql::pagination::report_cost(child_complexity)")]
    async fn dso(
        &self,
        ctx: &Context<'_>,
        as_of: NaiveDate,
        #[graphql(default = 90)] days: i32,
        currency: String,
    ) -> async_graphql::Result<Dso> {
        let dso = aging::dso(ctx.db()?, ctx.actor()?, as_of, days, &currency).await?;
        Ok(Dso {
            days: dso.days,
            owed: MoneyOut::in_minor_units(dso.owed_minor, &currency),
            invoiced: MoneyOut::in_minor_units(dso.invoiced_minor, &currency),
        })
    }
}

#[derive(SimpleObject)]
pub struct RecordPaymentPayload {
    pub payment: Payment,
    pub receivable: Receivable,
}

#[derive(Default)]
pub struct ReceivableMutation;

#[Object]
impl ReceivableMutation {
    /// `PLANNED → INVOICED`: ties the receivable to the billing system's invoice.
    async fn link_invoice(
        &self,
        ctx: &Context<'_>,
        receivable_id: Uuid,
        billing_invoice_id: String,
        invoiced_at: DateTime<Utc>,
    ) -> async_graphql::Result<Receivable> {
        Ok(service::link_invoice(
            ctx.db()?,
            ctx.actor()?,
            receivable_id,
            &billing_invoice_id,
            invoiced_at,
        )
        .await?
        .into())
    }

    /// Records cash received; the same `reference` again returns the first payment.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        receivable_id: Uuid,
        amount: MoneyInput,
        received_at: DateTime<Utc>,
        reference: String,
    ) -> async_graphql::Result<RecordPaymentPayload> {
        let (payment, receivable) = service::record_payment(
            ctx.db()?,
            ctx.actor()?,
            receivable_id,
            NewPayment {
                amount: amount.amount,
                currency: amount.currency,
                received_at,
                reference,
            },
        )
        .await?;
        Ok(RecordPaymentPayload {
            payment: payment.into(),
            receivable: receivable.into(),
        })
    }

    /// Reads the invoice from the billing system now and applies it: new
    /// payments (idempotent), `PARTIALLY_PAID`/`PAID`, and `billingFlag` for
    /// what finance must decide. `UPSTREAM` when the billing system fails
    /// (nothing changes), `VALIDATION` when billing is not configured or the
    /// receivable has no invoice to sync.
    async fn sync_payment_status(
        &self,
        ctx: &Context<'_>,
        receivable_id: Uuid,
    ) -> async_graphql::Result<Receivable> {
        let billing = ctx.data::<Billing>().map_err(|e| {
            Error::Internal(anyhow::anyhow!(
                "billing missing from schema data: {}",
                e.message
            ))
        })?;
        Ok(
            sync_payment_status(ctx.db()?, billing, ctx.actor()?, receivable_id)
                .await?
                .into(),
        )
    }

    /// Gives up on what is still owed (finance or admin).
    async fn write_off_receivable(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> async_graphql::Result<Receivable> {
        Ok(service::write_off(ctx.db()?, ctx.actor()?, id, &reason)
            .await?
            .into())
    }
}
