//! What one GraphQL request may ask and spend, as settings, and the schema
//! extension that holds every document to them on every transport (HTTP and
//! WebSocket) before validation and execution.

use std::sync::Arc;

use async_graphql::{
    ErrorExtensionValues, Pos, Request, ServerError, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};
use clap::{Args, ValueEnum};

use super::{guard, values};

/// Who may ask the schema about itself (`__schema`, `__type`, and the SDL at
/// `/schema.graphql`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Introspection {
    /// Anyone, with or without a token.
    On,
    /// Callers with a valid token (GraphiQL with the token in its headers).
    Authenticated,
    /// No one.
    Off,
}

/// Limits of one request; every one is a flag and an `LTC_*` variable.
#[derive(Clone, Copy, Debug, Args)]
pub struct RequestLimits {
    /// Deepest nesting a GraphQL query may have.
    #[arg(long, env = "LTC_MAX_QUERY_DEPTH", default_value_t = 12)]
    pub max_query_depth: usize,

    /// Highest cost a GraphQL query may have: each field costs 1, each
    /// field that runs SQL more (see the README), lists times their page size.
    #[arg(long, env = "LTC_MAX_QUERY_COMPLEXITY", default_value_t = 20_000)]
    pub max_query_complexity: usize,

    /// Bytes of GraphQL query text.
    #[arg(long, env = "LTC_MAX_QUERY_BYTES", default_value_t = 65_536)]
    pub max_query_bytes: usize,

    /// Lexical tokens of a GraphQL query.
    #[arg(long, env = "LTC_MAX_QUERY_TOKENS", default_value_t = 10_000)]
    pub max_query_tokens: usize,

    /// Fields of a query once its fragments are expanded.
    #[arg(long, env = "LTC_MAX_QUERY_FIELDS", default_value_t = 2_000)]
    pub max_query_fields: u64,

    /// Aliased fields of a query once its fragments are expanded.
    #[arg(long, env = "LTC_MAX_QUERY_ALIASES", default_value_t = 30)]
    pub max_query_aliases: u64,

    /// Root fields of one operation.
    #[arg(long, env = "LTC_MAX_QUERY_ROOT_FIELDS", default_value_t = 20)]
    pub max_query_root_fields: u64,

    /// Directives of a query once its fragments are expanded.
    #[arg(long, env = "LTC_MAX_QUERY_DIRECTIVES", default_value_t = 50)]
    pub max_query_directives: u64,

    /// SQL statements one request may run; past it the request is stopped.
    #[arg(long, env = "LTC_MAX_SQL_STATEMENTS", default_value_t = 250)]
    pub max_sql_statements: u64,

    /// GraphQL requests one caller (token `sub`) runs at once on an instance;
    /// more wait up to a second for a turn, then get 429.
    #[arg(
        long,
        env = "LTC_MAX_CONCURRENT_REQUESTS_PER_CALLER",
        default_value_t = 2
    )]
    pub max_concurrent_requests_per_caller: u32,

    /// GraphQL requests one caller may send a second on an instance, with
    /// bursts of twice that; more get 429 with `Retry-After`.
    #[arg(
        long,
        env = "LTC_MAX_REQUESTS_PER_SECOND_PER_CALLER",
        default_value_t = 25
    )]
    pub max_requests_per_second_per_caller: u32,

    /// Who may introspect the schema: `on`, `authenticated` or `off`.
    #[arg(
        long,
        env = "LTC_INTROSPECTION",
        value_enum,
        default_value = "authenticated"
    )]
    pub introspection: Introspection,
}

impl Default for RequestLimits {
    fn default() -> Self {
        let document = guard::DocumentLimits::default();
        RequestLimits {
            max_query_depth: 12,
            max_query_complexity: 20_000,
            max_query_bytes: document.bytes,
            max_query_tokens: document.tokens,
            max_query_fields: document.fields,
            max_query_aliases: document.aliases,
            max_query_root_fields: document.root_fields,
            max_query_directives: document.directives,
            max_sql_statements: 250,
            max_concurrent_requests_per_caller: 2,
            max_requests_per_second_per_caller: 25,
            introspection: Introspection::Authenticated,
        }
    }
}

impl RequestLimits {
    pub fn document(&self) -> guard::DocumentLimits {
        guard::DocumentLimits {
            bytes: self.max_query_bytes,
            tokens: self.max_query_tokens,
            nesting: guard::DocumentLimits::default().nesting,
            fields: self.max_query_fields,
            aliases: self.max_query_aliases,
            root_fields: self.max_query_root_fields,
            directives: self.max_query_directives,
        }
    }

    /// Whether a caller (with a token or without) may introspect.
    pub fn allows_introspection(&self, authenticated: bool) -> bool {
        match self.introspection {
            Introspection::On => true,
            Introspection::Authenticated => authenticated,
            Introspection::Off => false,
        }
    }
}

/// A request that breaks a document limit never ran: no path, and the code
/// clients know from validation.
pub(crate) fn refused(message: String) -> ServerError {
    let mut error = ServerError::new(message, None::<Pos>);
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", "GRAPHQL_VALIDATION_FAILED");
    error
}

/// The schema extension: document limits and input values, checked as soon
/// as a request is prepared, before async-graphql validates or runs it.
pub(crate) struct Guard(pub guard::DocumentLimits);

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension(self.0))
    }
}

struct GuardExtension(guard::DocumentLimits);

#[async_trait::async_trait]
impl Extension for GuardExtension {
    /// Runs before async-graphql's own checks on the parsed document, which
    /// walk every fragment spread as often as it is spread.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        guard::prescan(&request.query, &self.0).map_err(refused)?;
        // Parsed once here and kept in the request for execution.
        let variables = std::mem::take(&mut request.variables);
        let document = request.parsed_query().map_err(|mut error| {
            error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default)
                .set("code", "GRAPHQL_PARSE_FAILED");
            error
        })?;
        guard::check(document, &self.0).map_err(refused)?;
        values::check(&ctx.schema_env.registry, document, &variables)?;
        request.variables = variables;
        next.run(ctx, request).await
    }
}
