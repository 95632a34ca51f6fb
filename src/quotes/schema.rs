//! The GraphQL face of quotes: the `Quote` type, its queries and mutations.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Object, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums, quote, quote_line};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    QuotePolicy, lifecycle,
    lines::LineRequest,
    loader::{AcceptedQuoteLoader, QuoteLinesLoader, QuoteLoader},
    pricing,
    repo::ListFilter,
    service::{self, NewQuote, QuotePatch},
    transitions,
};
use crate::{
    auth::Capability,
    db::SortValue,
    graphql::{
        context::ContextExt,
        money::MoneyOut,
        pagination::{Conn, SortDirection, cost, page_request, paged},
    },
    history::schema::{Transition, history_of},
    money::Currency,
    opportunities::schema::{Opportunity, load_opportunity},
    products::schema::{Product, load_product},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::QuoteStatus")]
pub enum QuoteStatus {
    Draft,
    PendingApproval,
    Approved,
    Sent,
    Accepted,
    Rejected,
    /// Its `validUntil` passed before it was accepted.
    Expired,
    /// A later version revised it.
    Superseded,
}

/// An amount shown with at least its currency's minor-unit digits: `"10.00"` EUR, `"5"` JPY.
pub fn money(amount: Decimal, currency: &str) -> MoneyOut {
    let mut amount = amount;
    if let Ok(c) = Currency::parse("currency", currency)
        && amount.scale() < c.minor_unit()
    {
        amount.rescale(c.minor_unit());
    }
    MoneyOut {
        amount,
        currency: currency.to_owned(),
    }
}

/// One priced line of a quote.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct QuoteLine {
    /// 1, 2, ... in the order given.
    pub position: i32,
    pub product_id: Uuid,
    pub quantity: Decimal,
    /// The product's list price in the quote's currency when the line was priced.
    pub list_price: MoneyOut,
    /// The price used: the list price unless overridden.
    pub unit_price: MoneyOut,
    pub price_overridden: bool,
    /// 0–100.
    pub discount_percent: Decimal,
    /// `round(quantity × unitPrice)`.
    pub gross: MoneyOut,
    /// `round(quantity × unitPrice × (1 − discountPercent/100))`.
    pub net: MoneyOut,
}

impl QuoteLine {
    fn new(l: quote_line::Model, currency: &str) -> Self {
        QuoteLine {
            position: l.position,
            product_id: l.product_id,
            quantity: l.quantity.0,
            list_price: money(l.list_price.0, currency),
            unit_price: money(l.unit_price.0, currency),
            price_overridden: l.price_overridden,
            discount_percent: l.discount_percent.0,
            gross: money(l.gross.0, currency),
            net: money(l.net.0, currency),
        }
    }
}

#[ComplexObject]
impl QuoteLine {
    /// The product; null when the caller may not read the catalogue.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        load_product(ctx, Some(self.product_id)).await
    }
}

/// One version of a priced offer for an opportunity. Totals are exact
/// decimals: each line's gross and net rounded once, half to even, to the
/// currency's minor unit; tax on the net total, rounded the same way.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Quote {
    pub id: Uuid,
    pub opportunity_id: Uuid,
    /// 1, 2, ... per opportunity.
    pub version: i32,
    /// `EXPIRED` as soon as `validUntil` has passed, even before anything is written.
    pub status: QuoteStatus,
    /// ISO 4217 code.
    pub currency: String,
    /// The last day the offer stands (UTC).
    pub valid_until: NaiveDate,
    /// A fraction: `0.19` for 19 %.
    pub tax_rate: Decimal,
    /// Σ line gross.
    pub subtotal: MoneyOut,
    /// Σ (line gross − line net).
    pub discount_total: MoneyOut,
    /// `round((subtotal − discountTotal) × taxRate)`.
    pub tax: MoneyOut,
    /// `subtotal − discountTotal + tax`.
    pub total: MoneyOut,
    /// `discountTotal / subtotal × 100`, two decimals; 0 for a zero subtotal.
    pub discount_percent: Decimal,
    pub author_id: String,
    /// The manager who approved it; null when it needed no approval.
    pub approved_by: Option<String>,
    /// Why a manager rejected it, or the customer declined it.
    pub rejection_reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub revises_id: Option<Uuid>,
}

impl From<quote::Model> for Quote {
    fn from(m: quote::Model) -> Self {
        let c = m.currency.as_str();
        Quote {
            id: m.id,
            opportunity_id: m.opportunity_id,
            version: m.version,
            status: lifecycle::effective_status(m.status, m.valid_until, lifecycle::today()).into(),
            valid_until: m.valid_until,
            tax_rate: m.tax_rate.0,
            subtotal: money(m.subtotal.0, c),
            discount_total: money(m.discount_total.0, c),
            tax: money(m.tax.0, c),
            total: money(m.total.0, c),
            discount_percent: pricing::discount_percent(m.subtotal.0, m.discount_total.0),
            author_id: m.author_id,
            approved_by: m.approved_by,
            rejection_reason: m.rejection_reason,
            sent_at: m.sent_at,
            accepted_at: m.accepted_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            revises_id: m.revises_id,
            currency: m.currency,
        }
    }
}

#[ComplexObject]
impl Quote {
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<QuoteLine>> {
        let loader = ctx.data::<DataLoader<QuoteLinesLoader>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|l| QuoteLine::new(l, &self.currency))
            .collect())
    }

    /// The version this one revised.
    async fn revises(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Quote>> {
        load_quote(ctx, self.revises_id).await
    }

    async fn opportunity(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Opportunity>> {
        load_opportunity(ctx, Some(self.opportunity_id)).await
    }

    /// Every status change, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Transition>> {
        history_of(ctx, self.id).await
    }
}

/// Resolves a related quote through the batch loader; `None` when hidden.
pub async fn load_quote(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<Quote>> {
    let Some(id) = id else { return Ok(None) };
    if !ctx.actor()?.can(Capability::ReadAccounts) {
        return Ok(None);
    }
    let loader = ctx.data::<DataLoader<QuoteLoader>>()?;
    Ok(loader.load_one(id).await?.map(Quote::from))
}

/// The deal's accepted quote, if it has one and the caller reads quotes.
pub async fn load_accepted_quote(
    ctx: &Context<'_>,
    opportunity_id: Uuid,
) -> async_graphql::Result<Option<Quote>> {
    if !ctx.actor()?.can(Capability::ReadAccounts) {
        return Ok(None);
    }
    let loader = ctx.data::<DataLoader<AcceptedQuoteLoader>>()?;
    Ok(loader.load_one(opportunity_id).await?.map(Quote::from))
}

#[derive(InputObject)]
pub struct QuoteLineInput {
    /// An active product with a price in the quote's currency.
    pub product_id: Uuid,
    /// Greater than 0, at most 4 decimals.
    pub quantity: Decimal,
    /// Overrides the list price (0 or more).
    pub unit_price: Option<Decimal>,
    /// 0–100; default 0.
    pub discount_percent: Option<Decimal>,
}

impl From<QuoteLineInput> for LineRequest {
    fn from(l: QuoteLineInput) -> Self {
        LineRequest {
            product_id: l.product_id,
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount_percent: l.discount_percent,
        }
    }
}

#[derive(InputObject)]
pub struct CreateQuoteInput {
    /// An opportunity the caller sees, not WON or LOST.
    pub opportunity_id: Uuid,
    /// ISO 4217 code; every product must have a price in it.
    pub currency: String,
    /// Today or later (UTC).
    pub valid_until: NaiveDate,
    /// A fraction, 0 up to (not including) 1; default 0.
    pub tax_rate: Option<Decimal>,
    /// At least one.
    pub lines: Vec<QuoteLineInput>,
}

/// Fields left out stay as they are; `lines` replaces every line.
#[derive(InputObject, Default)]
pub struct UpdateQuoteInput {
    pub valid_until: Option<NaiveDate>,
    pub tax_rate: Option<Decimal>,
    pub lines: Option<Vec<QuoteLineInput>>,
}

#[derive(InputObject, Default)]
pub struct QuoteFilter {
    pub opportunity_id: Option<Uuid>,
    /// As shown: `EXPIRED` includes quotes whose date passed but were not yet written as expired.
    pub status: Option<QuoteStatus>,
}

#[derive(Default)]
pub struct QuoteQuery;

#[Object]
impl QuoteQuery {
    async fn quote(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Quote> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Quotes on deals the caller sees, by creation time (newest first by default).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<QuoteFilter>,
        #[graphql(default)] direction: SortDirection,
    ) -> async_graphql::Result<Conn<Quote>> {
        let page = page_request(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let filter = ListFilter {
            opportunity_id: filter.opportunity_id,
            status: filter.status.map(Into::into),
        };
        paged(
            service::list(ctx.db()?, ctx.actor()?, filter, direction.into(), page),
            |r| (SortValue::Time(r.created_at), r.id),
            Quote::from,
        )
        .await
    }
}

#[derive(Default)]
pub struct QuoteMutation;

#[Object]
impl QuoteMutation {
    /// Prices a new `DRAFT` quote, the opportunity's next version, from the
    /// catalogue's prices in its currency. The opportunity's amount follows it.
    async fn create_quote(
        &self,
        ctx: &Context<'_>,
        input: CreateQuoteInput,
    ) -> async_graphql::Result<Quote> {
        let new = NewQuote {
            opportunity_id: input.opportunity_id,
            currency: input.currency,
            valid_until: input.valid_until,
            tax_rate: input.tax_rate,
            lines: input.lines.into_iter().map(Into::into).collect(),
        };
        Ok(service::create(ctx.db()?, ctx.actor()?, new).await?.into())
    }

    /// Edits a `DRAFT` quote (anything else: `VALIDATION`, field `id`); the
    /// totals are computed again.
    async fn update_quote(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateQuoteInput,
    ) -> async_graphql::Result<Quote> {
        let patch = QuotePatch {
            valid_until: input.valid_until,
            tax_rate: input.tax_rate,
            lines: input
                .lines
                .map(|lines| lines.into_iter().map(Into::into).collect()),
        };
        Ok(service::update(ctx.db()?, ctx.actor()?, id, patch)
            .await?
            .into())
    }

    /// `DRAFT → PENDING_APPROVAL` when a line discount or the overall discount
    /// is above its threshold, else `DRAFT → APPROVED`.
    async fn submit_quote(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Quote> {
        let policy = *ctx.data::<QuotePolicy>()?;
        Ok(transitions::submit(ctx.db()?, ctx.actor()?, id, &policy)
            .await?
            .into())
    }

    /// `PENDING_APPROVAL → APPROVED`: sales managers and admins, never the quote's author.
    async fn approve_quote(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Quote> {
        Ok(transitions::approve(ctx.db()?, ctx.actor()?, id)
            .await?
            .into())
    }

    /// `PENDING_APPROVAL → REJECTED` with a reason: sales managers and admins, never the author.
    async fn reject_quote(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> async_graphql::Result<Quote> {
        Ok(transitions::reject(ctx.db()?, ctx.actor()?, id, &reason)
            .await?
            .into())
    }

    /// `APPROVED → SENT`.
    async fn send_quote(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Quote> {
        Ok(transitions::send(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// `SENT → ACCEPTED`. One per opportunity (a second is a `CONFLICT`); the
    /// opportunity takes the quote's total and moves to at least `NEGOTIATE`.
    async fn accept_quote(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Quote> {
        Ok(transitions::accept(ctx.db()?, ctx.actor()?, id)
            .await?
            .into())
    }

    /// `SENT → REJECTED`: the customer declined.
    async fn decline_quote(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: Option<String>,
    ) -> async_graphql::Result<Quote> {
        Ok(
            transitions::decline(ctx.db()?, ctx.actor()?, id, reason.as_deref())
                .await?
                .into(),
        )
    }

    /// Makes the next version as a `DRAFT` copy and marks this one
    /// `SUPERSEDED` (from any status but `ACCEPTED` and `SUPERSEDED`).
    /// `validUntil` defaults to this one's, and is required once that has passed.
    async fn revise_quote(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        valid_until: Option<NaiveDate>,
    ) -> async_graphql::Result<Quote> {
        Ok(
            transitions::revise(ctx.db()?, ctx.actor()?, id, valid_until)
                .await?
                .into(),
        )
    }
}
