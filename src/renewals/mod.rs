//! Renewals: before a contract's term ends, a renewal opportunity for the
//! account with the same team and the contract's lines as a starting quote,
//! once per contract — made by the outbox worker on a schedule, or on demand.

pub mod job;
pub mod repo;
pub mod schema;
pub mod service;

use clap::Args;

/// When renewals are made.
#[derive(Clone, Copy, Debug, Args)]
pub struct RenewalSettings {
    /// Days before a contract's term ends that its renewal opportunity is made.
    #[arg(long, env = "LTC_RENEWAL_LEAD_DAYS", default_value_t = 90)]
    pub renewal_lead_days: i64,

    /// How often the worker looks for contracts due for renewal, in seconds.
    #[arg(long, env = "LTC_RENEWAL_SCAN_SECS", default_value_t = 3600)]
    pub renewal_scan_secs: u64,
}

impl Default for RenewalSettings {
    fn default() -> Self {
        RenewalSettings {
            renewal_lead_days: 90,
            renewal_scan_secs: 3600,
        }
    }
}
