//! The `ltc` command: serve the API, apply migrations, print the schema, or
//! mint a development token.

use clap::{Parser, Subcommand};
use ltc::{
    auth::{JwtSettings, Role, TokenSigner},
    config::Settings,
    db::StoreSettings,
    startup::{Application, shutdown_signal},
};

// glibc malloc and its arena lock took about 40 % of the server's CPU under load
// (BENCHMARKS.md); resolving GraphQL allocates many small short-lived values.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ltc", version, about = "Lead to Cash GraphQL API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server (migrates the database first).
    Serve(Box<Settings>),
    /// Run only the outbox worker (migrates the database first).
    Worker(Box<Settings>),
    /// Apply pending database migrations and exit.
    Migrate(StoreSettings),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Fill an empty database with a deterministic book of business (migrates first).
    Seed(ltc::seed::SeedArgs),
    /// Sign a bearer token with the HS256 secret, for development and scripts.
    Token {
        /// The user id (`sub` claim).
        #[arg(long)]
        sub: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// A role (repeat for several): ADMIN, SALES_MANAGER, SALES, FINANCE, DELIVERY, INTEGRATION, READONLY.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// OAuth scopes, space separated, e.g. "leads:write".
        #[arg(long)]
        scope: Option<String>,
        /// Lifetime in minutes.
        #[arg(long, default_value_t = 60)]
        ttl_minutes: i64,
        #[arg(long, env = "LTC_DATA_DIR", default_value = "./ltc-data")]
        data_dir: std::path::PathBuf,
        #[command(flatten)]
        jwt: JwtSettings,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value).ok_or_else(|| format!("unknown role {value}"))
}

// Printing is what these commands are for: the schema, a token, seed progress.
#[allow(clippy::print_stdout)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(settings) => {
            ltc::telemetry::init(settings.log_format);
            let app = Application::build(&settings).await?;
            tracing::info!(bind = %settings.bind, port = app.port(), "ltc is serving; GraphiQL at /graphql");
            app.run_until_stopped(shutdown_signal()).await?;
        }
        Command::Worker(settings) => {
            ltc::telemetry::init(settings.log_format);
            let metrics = ltc::metrics::Metrics::new();
            let db = ltc::db::connect(&settings.store, Some(metrics)).await?;
            ltc::db::migrate(&db).await?;
            ltc::renewals::job::schedule(&db, &settings.renewals, ltc::db::now()).await?;
            ltc::outbox::prune::schedule(&db).await?;
            let worker = ltc::startup::worker(&settings, &db)?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let running = tokio::spawn(worker.run(stopped));
            shutdown_signal().await;
            let _ = stop.send(true);
            running.await?;
        }
        Command::Migrate(store) => {
            let db = ltc::db::connect(&store, None).await?;
            ltc::db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::Schema => print!("{}", ltc::schema::sdl()),
        Command::Seed(args) => {
            let options = args.options()?;
            let db = ltc::db::connect(&args.store, None).await?;
            ltc::db::migrate(&db).await?;
            ltc::seed::run(&db, &options, &|line| println!("{line}")).await?;
        }
        Command::Token {
            sub,
            name,
            roles,
            scope,
            ttl_minutes,
            data_dir,
            jwt,
        } => {
            let signer = TokenSigner::from_settings(&jwt, &data_dir)?;
            let token = signer.sign(
                &sub,
                name.as_deref(),
                &roles,
                scope.as_deref(),
                chrono::Duration::minutes(ttl_minutes),
            )?;
            println!("{token}");
        }
    }
    Ok(())
}
