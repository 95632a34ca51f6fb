//! Relay connections over keyset pages: argument rules, opaque cursors and
//! a lazily counted `totalCount`.

use async_graphql::{
    Object, OutputType,
    connection::{Connection, CursorType, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{
    Error, Result,
    db::{Counter, Page, PageRequest, SortValue},
};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// An opaque cursor: base64url of the row's sort key and id.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor(pub crate::db::keyset::Position);

impl CursorType for Cursor {
    type Error = String;

    fn decode_cursor(s: &str) -> std::result::Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "malformed cursor".to_string())?;
        serde_json::from_slice(&bytes)
            .map(Cursor)
            .map_err(|_| "malformed cursor".to_string())
    }

    fn encode_cursor(&self) -> String {
        // Serializing a plain struct of strings and numbers cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }
}

/// The four Relay arguments, checked: page size 1–100 (never a silent cut),
/// `first` and `last` not together, cursors well-formed.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest> {
    if first.is_some() && last.is_some() {
        return Err(Error::validation(
            "last",
            "give either first or last, not both",
        ));
    }
    let size = |field: &str, n: i32| {
        if (1..=MAX_PAGE_SIZE).contains(&n) {
            Ok(n as u64)
        } else {
            Err(Error::validation(
                field,
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ))
        }
    };
    let decode = |field: &str, raw: Option<String>| {
        raw.map(|c| {
            Cursor::decode_cursor(&c)
                .map(|c| c.0)
                .map_err(|m| Error::validation(field, m))
        })
        .transpose()
    };
    let (limit, from_end) = match (first, last) {
        (_, Some(n)) => (size("last", n)?, true),
        (Some(n), None) => (size("first", n)?, false),
        (None, None) => (DEFAULT_PAGE_SIZE as u64, false),
    };
    Ok(PageRequest {
        limit,
        after: decode("after", after)?,
        before: decode("before", before)?,
        from_end,
        order: String::new(),
    })
}

/// Sort direction of a list.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

impl From<SortDirection> for sea_orm::Order {
    fn from(d: SortDirection) -> Self {
        match d {
            SortDirection::Asc => sea_orm::Order::Asc,
            SortDirection::Desc => sea_orm::Order::Desc,
        }
    }
}

/// Costs stop growing here: far above any limit, far below overflow (the
/// validator adds to them unchecked).
const COST_CAP: usize = 1 << 32;

/// What a field that runs its own SQL statement costs beyond its children
/// (a page, a count): a statement is worth ten fields resolved from memory.
pub const STATEMENT_COST: usize = 10;
/// What a report costs beyond its children: it aggregates over many rows in
/// several statements.
pub const REPORT_COST: usize = 1_000;

/// Query cost of a connection field: its page statement, plus its page size
/// times what each node costs.
pub fn cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let n = first
        .or(last)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE) as usize;
    n.saturating_mul(child.max(1)).min(COST_CAP) + STATEMENT_COST
}

/// Query cost of a report field.
pub fn report_cost(child: usize) -> usize {
    child.min(COST_CAP) + REPORT_COST
}

/// Cost of an unpaged nested list (a lead's duplicates, an account's
/// contacts): counted as five items, since its length is not known up front.
pub fn nested_list_cost(child: usize) -> usize {
    child.max(1).saturating_mul(5).min(COST_CAP) + 1
}

/// `totalCount`, run only when the client asks for it.
pub struct Counted(pub Counter);

#[Object]
impl Counted {
    /// How many items match the filter, across all pages. Counted in its own
    /// statement, so a write landing between the page and the count can make
    /// the two differ by that write.
    #[graphql(complexity = "STATEMENT_COST")]
    async fn total_count(&self) -> async_graphql::Result<u64> {
        Ok((self.0)().await?)
    }
}

pub type Conn<N> = Connection<Cursor, N, Counted>;

/// Turns a fetched page into a connection, making each node's cursor from its
/// sort key and id.
pub fn connection<M, N: OutputType>(
    page: Page<M>,
    count: Counter,
    key: impl Fn(&M) -> (SortValue, uuid::Uuid),
    node: impl Fn(M) -> N,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        Counted(count),
    );
    let order = page.order;
    conn.edges.extend(page.rows.into_iter().map(|row| {
        let (key, id) = key(&row);
        let order = order.clone();
        Edge::new(
            Cursor(crate::db::keyset::Position { key, id, order }),
            node(row),
        )
    }));
    conn
}

/// A list field's connection: awaits the list's page and count, and makes
/// each row a node with its cursor (the one shape of every list resolver).
pub async fn paged<M, N: OutputType>(
    listed: impl Future<Output = Result<(Page<M>, Counter)>>,
    key: impl Fn(&M) -> (SortValue, uuid::Uuid),
    node: impl Fn(M) -> N,
) -> async_graphql::Result<Conn<N>> {
    let (rows, count) = listed.await?;
    Ok(connection(rows, count, key, node))
}
