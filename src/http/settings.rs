//! Connection limits of the HTTP edge (`LTC_HEADER_READ_TIMEOUT_SECS`,
//! `LTC_MAX_CONNECTIONS`, `LTC_WS_*`).

use std::time::Duration;

use clap::Args;

/// Limits on connections: how long a client may take to send its headers,
/// and how many connections and WebSockets one instance serves.
#[derive(Clone, Debug, Args)]
pub struct TransportSettings {
    /// Longest time a client may take to send a request's headers, in seconds.
    #[arg(long, env = "LTC_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Most HTTP connections served at once; more wait to be accepted.
    #[arg(long, env = "LTC_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds a WebSocket may stay open without sending `connection_init`.
    #[arg(long, env = "LTC_WS_INIT_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_init_timeout_secs: u64,

    /// Most WebSockets open at once for one caller (token `sub`).
    #[arg(long, env = "LTC_WS_MAX_CONNECTIONS_PER_CALLER", default_value_t = 16)]
    pub ws_max_connections_per_caller: usize,

    /// Most WebSockets open at once on this instance.
    #[arg(long, env = "LTC_WS_MAX_CONNECTIONS", default_value_t = 1024)]
    pub ws_max_connections: usize,
}

impl Default for TransportSettings {
    fn default() -> Self {
        TransportSettings {
            header_read_timeout_secs: 10,
            max_connections: 1024,
            ws_init_timeout_secs: 10,
            ws_max_connections_per_caller: 16,
            ws_max_connections: 1024,
        }
    }
}

impl TransportSettings {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs.max(1))
    }

    pub fn max_connections(&self) -> usize {
        self.max_connections.max(1)
    }

    pub fn ws_init_timeout(&self) -> Duration {
        Duration::from_secs(self.ws_init_timeout_secs.max(1))
    }
}
