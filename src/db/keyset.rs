//! Keyset pagination: pages are cut by `(sort key, id)` comparisons, never by
//! OFFSET, so page 1,000 costs what page 1 costs and rows inserted meanwhile
//! neither repeat nor vanish.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select, Value,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The value of the sort column at a cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SortValue {
    Int(i64),
    Date(chrono::NaiveDate),
    Time(DateTime<Utc>),
    Text(String),
}

impl From<SortValue> for Value {
    fn from(value: SortValue) -> Self {
        match value {
            SortValue::Int(v) => v.into(),
            SortValue::Date(v) => v.into(),
            SortValue::Time(v) => v.into(),
            SortValue::Text(v) => v.into(),
        }
    }
}

/// A position between two rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub key: SortValue,
    pub id: Uuid,
    /// The ordering the cursor was made under; another ordering refuses it.
    #[serde(default)]
    pub order: String,
}

/// What one page asks for, already validated.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Position>,
    pub before: Option<Position>,
    /// `last`/`before` paging: take the rows nearest the end.
    pub from_end: bool,
    /// The ordering in force, written into every cursor of the page.
    pub order: String,
}

impl PageRequest {
    /// Fixes the ordering; a cursor made under another `orderBy` (or one
    /// whose key is of the wrong kind) would compare the wrong column.
    pub fn ordered(
        mut self,
        order: impl std::fmt::Debug,
        direction: &Order,
        same_kind: impl Fn(&SortValue) -> bool,
    ) -> crate::Result<PageRequest> {
        self.order = format!("{order:?}/{direction:?}");
        for (field, at) in [("after", &self.after), ("before", &self.before)] {
            if let Some(at) = at
                && (!same_kind(&at.key) || at.order != self.order)
            {
                return Err(crate::Error::validation(
                    field,
                    "cursor was made for another orderBy",
                ));
            }
        }
        Ok(self)
    }
}

pub struct Page<M> {
    pub order: String,
    pub rows: Vec<M>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

/// Fetches one page of `select` ordered by `sort_col` (then `id_col`) in
/// `direction`. One statement; it reads `limit + 1` rows to learn whether
/// more follow.
pub async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    sort_col: E::Column,
    id_col: E::Column,
    direction: Order,
    page: &PageRequest,
) -> crate::Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut select = select;
    if let Some(after) = &page.after {
        select = select.filter(beyond(sort_col, id_col, after, direction.clone(), true));
    }
    if let Some(before) = &page.before {
        select = select.filter(beyond(sort_col, id_col, before, direction.clone(), false));
    }
    let scan = if page.from_end {
        flip(direction)
    } else {
        direction
    };
    let mut rows = select
        .order_by(sort_col, scan.clone())
        .order_by(id_col, scan)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    if page.from_end {
        rows.reverse();
        Ok(Page {
            order: page.order.clone(),
            rows,
            has_previous_page: more,
            has_next_page: page.before.is_some(),
        })
    } else {
        Ok(Page {
            order: page.order.clone(),
            rows,
            has_previous_page: page.after.is_some(),
            has_next_page: more,
        })
    }
}

fn flip(order: Order) -> Order {
    match order {
        Order::Asc => Order::Desc,
        _ => Order::Asc,
    }
}

/// Rows strictly after (`forward`) or before the position in `direction`.
fn beyond<Col: ColumnTrait>(
    sort_col: Col,
    id_col: Col,
    at: &Position,
    direction: Order,
    forward: bool,
) -> Condition {
    let ascending = matches!(direction, Order::Asc) == forward;
    let key: Value = at.key.clone().into();
    let (past_key, past_id) = if ascending {
        (sort_col.gt(key.clone()), id_col.gt(at.id))
    } else {
        (sort_col.lt(key.clone()), id_col.lt(at.id))
    };
    Condition::any()
        .add(past_key)
        .add(Condition::all().add(sort_col.eq(key)).add(past_id))
}
