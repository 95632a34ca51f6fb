//! The GraphQL face of the catalogue: `Product` and `Price`, their queries
//! and mutations.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject,
    dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entity::{price, product};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    loader::{PricesByProduct, ProductLoader},
    repo::ListFilter,
    service::{self, NewProduct, ProductOrder, ProductPatch},
};
use crate::{
    auth::Capability,
    graphql::{
        context::ContextExt,
        money::MoneyOut,
        pagination::{Conn, SortDirection, cost, page_request, paged},
    },
    money::Currency,
};

/// A sellable item of the catalogue.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    pub id: Uuid,
    /// Stock-keeping unit, unique: 1–64 of `A–Z a–z 0–9 . _ -`. Never changes.
    pub sku: String,
    pub name: String,
    /// What a quantity of 1 is: `each`, `month`, `seat`, ...
    pub unit: String,
    /// Inactive products stay readable but are meant not to be sold.
    pub active: bool,
    /// The product's item code in the ERP.
    pub erp_item_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<product::Model> for Product {
    fn from(m: product::Model) -> Self {
        Product {
            id: m.id,
            sku: m.sku,
            name: m.name,
            unit: m.unit,
            active: m.active,
            erp_item_code: m.erp_item_code,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[ComplexObject]
impl Product {
    /// The list price in each currency the product has one in, by currency code.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn prices(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Price>> {
        let loader = ctx.data::<DataLoader<PricesByProduct>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Price::from)
            .collect())
    }
}

/// A product's list price in one currency: the unit price a quote line
/// starts from. It may be finer than the currency's minor unit (up to 4
/// decimal places); quote totals are rounded.
#[derive(SimpleObject)]
pub struct Price {
    /// ISO 4217 code.
    pub currency: String,
    pub list_price: MoneyOut,
    pub updated_at: DateTime<Utc>,
}

impl From<price::Model> for Price {
    fn from(m: price::Model) -> Self {
        let mut amount = m.list_price.0;
        // Shown with at least the currency's minor-unit digits: 99.90 EUR, not 99.9.
        if let Ok(currency) = Currency::parse("currency", &m.currency)
            && amount.scale() < currency.minor_unit()
        {
            amount.rescale(currency.minor_unit());
        }
        Price {
            list_price: MoneyOut {
                amount,
                currency: m.currency.clone(),
            },
            currency: m.currency,
            updated_at: m.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateProductInput {
    /// 1–64 of `A–Z a–z 0–9 . _ -`, trimmed; unique (exact case).
    pub sku: String,
    pub name: String,
    /// What a quantity of 1 is: `each`, `month`, `seat`, ...
    pub unit: String,
    #[graphql(default = true)]
    pub active: bool,
    pub erp_item_code: Option<String>,
}

/// Fields left out stay as they are; `null` clears the ERP item code.
#[derive(InputObject, Default)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub erp_item_code: MaybeUndefined<String>,
}

#[derive(InputObject, Default)]
pub struct ProductFilter {
    pub active: Option<bool>,
    /// Matches SKU or name, case-insensitively.
    pub text: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProductOrderField {
    Sku,
    Name,
    CreatedAt,
}

#[derive(InputObject)]
pub struct ProductOrderBy {
    pub field: ProductOrderField,
    #[graphql(default)]
    pub direction: SortDirection,
}

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    async fn product(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Product> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// The catalogue, by SKU (A to Z) unless `orderBy` says otherwise.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProductFilter>,
        order_by: Option<ProductOrderBy>,
    ) -> async_graphql::Result<Conn<Product>> {
        let page = page_request(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let (order, direction) = match order_by {
            Some(o) => (
                match o.field {
                    ProductOrderField::Sku => ProductOrder::Sku,
                    ProductOrderField::Name => ProductOrder::Name,
                    ProductOrderField::CreatedAt => ProductOrder::CreatedAt,
                },
                o.direction,
            ),
            None => (ProductOrder::Sku, SortDirection::Asc),
        };
        let filter = ListFilter {
            active: f.active,
            text: f.text,
        };
        paged(
            service::list(
                ctx.db()?,
                ctx.actor()?,
                filter,
                order,
                direction.into(),
                page,
            ),
            |r| service::sort_key(order, r),
            Product::from,
        )
        .await
    }
}

#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    /// Adds a product to the catalogue; a SKU already taken is a `CONFLICT`.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<Product> {
        let new = NewProduct {
            sku: input.sku,
            name: input.name,
            unit: input.unit,
            active: input.active,
            erp_item_code: input.erp_item_code,
        };
        Ok(service::create(ctx.db()?, ctx.actor()?, new).await?.into())
    }

    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateProductInput,
    ) -> async_graphql::Result<Product> {
        let patch = ProductPatch {
            name: input.name,
            unit: input.unit,
            erp_item_code: input.erp_item_code,
        };
        Ok(service::update(ctx.db()?, ctx.actor()?, id, patch)
            .await?
            .into())
    }

    /// Sets the list price in `currency` (an ISO 4217 code such as `EUR`),
    /// replacing the previous one in it. `listPrice`: not negative, at most 4
    /// decimal places (finer than the currency's minor unit is allowed for
    /// unit prices; quote totals are rounded), below one trillion.
    async fn set_price(
        &self,
        ctx: &Context<'_>,
        product_id: Uuid,
        currency: String,
        list_price: Decimal,
    ) -> async_graphql::Result<Product> {
        Ok(
            service::set_price(ctx.db()?, ctx.actor()?, product_id, &currency, list_price)
                .await?
                .into(),
        )
    }

    /// Takes a product out of sale; it stays readable.
    async fn deactivate_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Product> {
        Ok(service::set_active(ctx.db()?, ctx.actor()?, id, false)
            .await?
            .into())
    }

    async fn activate_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Product> {
        Ok(service::set_active(ctx.db()?, ctx.actor()?, id, true)
            .await?
            .into())
    }
}

/// Resolves a related product (a quote line's, ...) through the batch
/// loader; `None` when the caller may not read the catalogue.
pub async fn load_product(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<Product>> {
    let Some(id) = id else { return Ok(None) };
    if !ctx.actor()?.can(Capability::ReadCatalogue) {
        return Ok(None);
    }
    let loader = ctx.data::<DataLoader<ProductLoader>>()?;
    Ok(loader.load_one(id).await?.map(Product::from))
}
