//! Bearer tokens: verification for every request, and signing for `ltc token`.

use std::collections::BTreeSet;

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::{Actor, JwtAlgorithm, JwtSettings, Role, load_or_create_secret};
use crate::error::TokenReason;

/// Seconds a token is still accepted after its `exp` (and before its
/// `nbf`), for clock skew.
const LEEWAY_SECS: u64 = 30;
/// Longest `sub` accepted, in characters: it is stored as a caller in rows
/// and logs.
const SUB_MAX: usize = 255;

/// The `aud` claim: one audience or a list of them (RFC 7519, 4.1.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims ltc reads. `roles` and `scope` follow common IdP shapes:
/// a list of role names and an OAuth space-separated scope string.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn from_settings(
        settings: &JwtSettings,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let (algorithm, key) = match &settings.jwt_public_key {
            Some(path) => {
                let pem = std::fs::read(path)
                    .with_context(|| format!("reading JWT public key {}", path.display()))?;
                match settings.jwt_algorithm.unwrap_or(JwtAlgorithm::Rs256) {
                    JwtAlgorithm::Rs256 => (Algorithm::RS256, DecodingKey::from_rsa_pem(&pem)?),
                    JwtAlgorithm::Es256 => (Algorithm::ES256, DecodingKey::from_ec_pem(&pem)?),
                    JwtAlgorithm::Hs256 => {
                        anyhow::bail!("LTC_JWT_ALGORITHM=HS256 takes a secret, not a public key")
                    }
                }
            }
            None => {
                if let Some(alg) = settings.jwt_algorithm
                    && alg != JwtAlgorithm::Hs256
                {
                    anyhow::bail!("LTC_JWT_ALGORITHM={alg:?} needs LTC_JWT_PUBLIC_KEY");
                }
                let secret = shared_secret(settings, data_dir)?;
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(secret.as_bytes()),
                )
            }
        };
        // Only the configured algorithm is accepted: a token signed with another
        // (or `none`) fails, whatever its header claims.
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        // A configured issuer or audience is checked only when the claim is
        // there, unless it is also required: a token without it would pass.
        let mut required = vec!["exp", "sub"];
        match &settings.jwt_issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &settings.jwt_audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Ok(TokenVerifier { key, validation })
    }

    pub fn verify(&self, token: &str) -> crate::Result<Actor> {
        self.verify_until(token).map(|(actor, _)| actor)
    }

    /// The caller, and the moment (Unix seconds) from which the token is
    /// refused: its `exp` plus the clock-skew leeway. A WebSocket lives until then.
    pub fn verify_until(&self, token: &str) -> crate::Result<(Actor, u64)> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(
            |error| {
                tracing::debug!(error = %error, "token refused");
                crate::Error::Unauthenticated(match error.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenReason::Expired,
                    _ => TokenReason::Invalid,
                })
            },
        )?;
        let claims = data.claims;
        if !acceptable_sub(&claims.sub) {
            tracing::debug!("token refused: empty, overlong or control characters in sub");
            return Err(crate::Error::Unauthenticated(TokenReason::Invalid));
        }
        let refused_from = claims.exp.saturating_add(self.validation.leeway);
        let actor = Actor {
            sub: claims.sub,
            name: claims.name,
            // Roles this version does not know grant nothing.
            roles: claims.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            scopes: claims.scope.map(|s| {
                s.split_whitespace()
                    .map(str::to_owned)
                    .collect::<BTreeSet<_>>()
            }),
        };
        Ok((actor, refused_from))
    }
}

/// A `sub` ltc can store and log as a caller: not blank, at most
/// [`SUB_MAX`] characters, no control characters (a NUL breaks PostgreSQL).
fn acceptable_sub(sub: &str) -> bool {
    !sub.trim().is_empty() && sub.chars().count() <= SUB_MAX && !sub.chars().any(char::is_control)
}

fn shared_secret(settings: &JwtSettings, data_dir: &std::path::Path) -> anyhow::Result<String> {
    let secret = match &settings.jwt_secret {
        Some(secret) => secret.clone(),
        None => load_or_create_secret(data_dir)?,
    };
    anyhow::ensure!(
        secret.expose_secret().len() >= 32,
        "LTC_JWT_SECRET must be at least 32 characters"
    );
    Ok(secret.expose_secret().to_owned())
}

/// Signs HS256 tokens with the configured or generated shared secret, for
/// `ltc token` and tests. Deployments with an identity provider mint their own.
pub struct TokenSigner {
    key: EncodingKey,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenSigner {
    pub fn from_settings(
        settings: &JwtSettings,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            settings.jwt_public_key.is_none(),
            "tokens for a public-key setup come from its identity provider; ltc signs only HS256"
        );
        let secret = shared_secret(settings, data_dir)?;
        Ok(TokenSigner {
            key: EncodingKey::from_secret(secret.as_bytes()),
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
        })
    }

    pub fn sign(
        &self,
        sub: &str,
        name: Option<&str>,
        roles: &[Role],
        scope: Option<&str>,
        ttl: chrono::Duration,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = Claims {
            sub: sub.to_owned(),
            name: name.map(str::to_owned),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            scope: scope.map(str::to_owned),
            exp: now + ttl.num_seconds().max(0) as u64,
            iat: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
            nbf: None,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.key,
        )?)
    }
}
