//! Product and price rows: the only code that queries the `products` and
//! `prices` tables. `prices_for` serves quoting too.

use entity::{price, product};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Select, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    Result,
    auth::Visibility,
    db::{contains, visible::Visible},
};

/// The catalogue has no row rule: whoever may read it (`ReadCatalogue`)
/// sees every product.
impl Visible for product::Entity {
    const NAME: &'static str = "product";
    const ID: product::Column = product::Column::Id;

    fn visible(_: &Visibility) -> Condition {
        Condition::all()
    }
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<product::Model>> {
    Ok(product::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_sku(db: &impl ConnectionTrait, sku: &str) -> Result<Option<product::Model>> {
    Ok(product::Entity::find()
        .filter(product::Column::Sku.eq(sku))
        .one(db)
        .await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: product::ActiveModel,
) -> Result<product::Model> {
    Ok(row.insert(db).await?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    row: product::ActiveModel,
) -> Result<product::Model> {
    Ok(row.update(db).await?)
}

pub struct ListFilter {
    pub active: Option<bool>,
    pub text: Option<String>,
}

pub fn list_query(filter: &ListFilter) -> Select<product::Entity> {
    let mut cond = Condition::all();
    if let Some(active) = filter.active {
        cond = cond.add(product::Column::Active.eq(active));
    }
    if let Some(text) = &filter.text {
        cond = cond.add(contains(product::Column::SearchText, text));
    }
    product::Entity::find().filter(cond)
}

/// Every price of these products, by product then currency.
pub async fn prices_of(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> Result<Vec<price::Model>> {
    Ok(price::Entity::find()
        .filter(price::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_asc(price::Column::ProductId)
        .order_by_asc(price::Column::Currency)
        .all(db)
        .await?)
}

/// The list prices of these products in one currency (an ISO 4217 code);
/// a product without a price in it is left out.
pub async fn prices_for(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
    currency: &str,
) -> Result<Vec<price::Model>> {
    Ok(price::Entity::find()
        .filter(price::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(price::Column::Currency.eq(currency))
        .all(db)
        .await?)
}

/// Inserts the price, or replaces the one the product has in that currency,
/// in one statement.
pub async fn upsert_price(db: &impl ConnectionTrait, row: price::ActiveModel) -> Result<()> {
    price::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([price::Column::ProductId, price::Column::Currency])
                .update_columns([price::Column::ListPrice, price::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
