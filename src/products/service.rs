//! Catalogue rules: only sales managers and admins (or tokens with
//! `products:write`) create products, change them, set prices and
//! (de)activate them; anyone with `ReadCatalogue` reads them.

use async_graphql::MaybeUndefined;
use entity::{DecimalText, price, product};
use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, IntoActiveModel};
use uuid::Uuid;

use super::{
    repo::{self, ListFilter},
    values::{ListPrice, Sku},
};
use crate::{
    Error, Result,
    accounts::service::optional_patch,
    auth::{Actor, Capability},
    db::{self, Counter, Page, PageRequest, SortValue},
    input::{self, NAME_MAX, REF_MAX},
};

/// Longest unit name (`each`, `month`, `seat`, ...).
pub const UNIT_MAX: usize = 50;

pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub active: bool,
    pub erp_item_code: Option<String>,
}

/// Fields left out stay; `null` clears the ERP item code. The SKU never
/// changes: quotes and ERP orders refer to it.
#[derive(Default)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub erp_item_code: MaybeUndefined<String>,
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<product::Model> {
    repo::find(db, id).await?.ok_or(Error::NotFound("product"))
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<product::Model> {
    actor.require(Capability::ReadCatalogue)?;
    find(db, id).await
}

fn search_text(sku: &str, name: &str) -> String {
    input::search_text(&[Some(sku), Some(name)])
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewProduct,
) -> Result<product::Model> {
    actor.require(Capability::ManageCatalogue)?;
    let sku = Sku::parse("sku", &new.sku)?;
    let name = input::required("name", &new.name, NAME_MAX)?;
    let unit = input::required("unit", &new.unit, UNIT_MAX)?;
    let erp_item_code = input::optional("erpItemCode", new.erp_item_code.as_deref(), REF_MAX)?;
    if repo::find_by_sku(db, sku.as_str()).await?.is_some() {
        return Err(Error::Conflict(format!(
            "a product with SKU {} exists",
            sku.as_str()
        )));
    }
    let now = db::now();
    // A concurrent create of the same SKU fails on the unique index: CONFLICT too.
    repo::insert(
        db,
        product::ActiveModel {
            id: Set(db::new_id()),
            search_text: Set(search_text(sku.as_str(), &name)),
            sku: Set(sku.into_string()),
            name: Set(name),
            unit: Set(unit),
            active: Set(new.active),
            erp_item_code: Set(erp_item_code),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    patch: ProductPatch,
) -> Result<product::Model> {
    actor.require(Capability::ManageCatalogue)?;
    let current = find(db, id).await?;
    let mut row = current.clone().into_active_model();
    if let Some(name) = &patch.name {
        row.name = Set(input::required("name", name, NAME_MAX)?);
    }
    if let Some(unit) = &patch.unit {
        row.unit = Set(input::required("unit", unit, UNIT_MAX)?);
    }
    if let Some(code) = optional_patch("erpItemCode", &patch.erp_item_code, REF_MAX)? {
        row.erp_item_code = Set(code);
    }
    row.search_text = Set(search_text(&current.sku, row.name.as_ref()));
    row.updated_at = Set(db::now());
    repo::update(db, row).await
}

/// Activates or deactivates a product; asking for the state it is in changes
/// nothing. An inactive product stays readable (old quotes show it).
pub async fn set_active(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> Result<product::Model> {
    actor.require(Capability::ManageCatalogue)?;
    let current = find(db, id).await?;
    if current.active == active {
        return Ok(current);
    }
    let mut row = current.into_active_model();
    row.active = Set(active);
    row.updated_at = Set(db::now());
    repo::update(db, row).await
}

/// Sets the product's list price in a currency, replacing any earlier one
/// in that currency. See [`ListPrice`] for the rule.
pub async fn set_price(
    db: &DatabaseConnection,
    actor: &Actor,
    product_id: Uuid,
    currency: &str,
    list_price: Decimal,
) -> Result<product::Model> {
    actor.require(Capability::ManageCatalogue)?;
    let price = ListPrice::parse("listPrice", "currency", list_price, currency)?;
    let txn = db::begin_write(db).await?;
    let current = find(&txn, product_id).await?;
    let now = db::now();
    repo::upsert_price(
        &txn,
        price::ActiveModel {
            product_id: Set(current.id),
            currency: Set(price.currency.code().to_owned()),
            list_price: Set(DecimalText(price.amount)),
            updated_at: Set(now),
        },
    )
    .await?;
    let mut row = current.into_active_model();
    row.updated_at = Set(now);
    let product = repo::update(&txn, row).await?;
    txn.commit().await?;
    Ok(product)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductOrder {
    Sku,
    Name,
    CreatedAt,
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    order: ProductOrder,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<product::Model>, Counter)> {
    actor.require(Capability::ReadCatalogue)?;
    if let Some(text) = &filter.text {
        input::required("filter.text", text, NAME_MAX)?;
    }
    let page = page.ordered(order, &direction, |k| match order {
        ProductOrder::Sku | ProductOrder::Name => matches!(k, SortValue::Text(_)),
        ProductOrder::CreatedAt => matches!(k, SortValue::Time(_)),
    })?;
    let sort_col = match order {
        ProductOrder::Sku => product::Column::Sku,
        ProductOrder::Name => product::Column::Name,
        ProductOrder::CreatedAt => product::Column::CreatedAt,
    };
    let select = repo::list_query(&filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        sort_col,
        product::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}

pub fn sort_key(order: ProductOrder, row: &product::Model) -> (SortValue, Uuid) {
    let key = match order {
        ProductOrder::Sku => SortValue::Text(row.sku.clone()),
        ProductOrder::Name => SortValue::Text(row.name.clone()),
        ProductOrder::CreatedAt => SortValue::Time(row.created_at),
    };
    (key, row.id)
}
