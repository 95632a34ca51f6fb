//! How bearer tokens are verified (`LTC_JWT_*`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use crate::input::parse_secret;

/// How bearer tokens are verified.
#[derive(Clone, Debug, Args)]
pub struct JwtSettings {
    /// Shared secret for HS256 tokens; default: a random secret generated once in the data directory.
    #[arg(long, env = "LTC_JWT_SECRET", value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,

    /// PEM public key of an identity provider (RS256 or ES256); replaces the shared secret.
    #[arg(long, env = "LTC_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,

    /// Signature algorithm tokens must use; default HS256, or RS256 with a public key.
    #[arg(long, env = "LTC_JWT_ALGORITHM", value_enum)]
    pub jwt_algorithm: Option<JwtAlgorithm>,

    /// Required `iss` claim, when set.
    #[arg(long, env = "LTC_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Required `aud` claim, when set.
    #[arg(long, env = "LTC_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum JwtAlgorithm {
    Hs256,
    Rs256,
    Es256,
}
