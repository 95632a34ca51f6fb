//! The ERP connector's settings: which ERP, where, and with which keys. The
//! connector is off until `LTC_ERP_KIND` is set; a kind without what it
//! needs is refused at start, not at the first push.

use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use reqwest::Url;
use secrecy::SecretString;

/// The ERPs ltc speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ErpKind {
    /// ERPNext (Frappe) through its REST API.
    Erpnext,
    /// Odoo 19+ through its JSON-2 API.
    Odoo,
    /// An in-house ERP taking ltc's own JSON order document.
    Generic,
}

/// ERP settings; the connector is off until `LTC_ERP_KIND` is set.
#[derive(Clone, Debug, Args)]
pub struct ErpSettings {
    /// The ERP that sales orders are pushed to: erpnext, odoo or generic; unset: no ERP.
    #[arg(long, env = "LTC_ERP_KIND", value_enum)]
    pub erp_kind: Option<ErpKind>,

    /// The ERP's base URL (ERPNext, Odoo), or the URL orders are POSTed to (generic).
    #[arg(long, env = "LTC_ERP_URL")]
    pub erp_url: Option<Url>,

    /// API key: ERPNext's API key, Odoo's API key, or the generic ERP's bearer token.
    #[arg(long, env = "LTC_ERP_API_KEY", value_parser = parse_secret)]
    pub erp_api_key: Option<SecretString>,

    /// API secret, for ERPNext (`Authorization: token key:secret`).
    #[arg(long, env = "LTC_ERP_API_SECRET", value_parser = parse_secret)]
    pub erp_api_secret: Option<SecretString>,

    /// Odoo database name, sent as `X-Odoo-Database` (needed when one server hosts several).
    #[arg(long, env = "LTC_ERP_DATABASE")]
    pub erp_database: Option<String>,

    /// Longest wait for one HTTP call to the ERP, in seconds. A push makes
    /// up to four calls (Odoo), which must end within the job lease.
    #[arg(long, env = "LTC_ERP_TIMEOUT_SECS", default_value_t = 10)]
    pub erp_timeout_secs: u64,
}

impl Default for ErpSettings {
    fn default() -> Self {
        ErpSettings {
            erp_kind: None,
            erp_url: None,
            erp_api_key: None,
            erp_api_secret: None,
            erp_database: None,
            erp_timeout_secs: 10,
        }
    }
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

impl ErpSettings {
    /// Whether an ERP is configured: new POs queue a push only then.
    pub fn enabled(&self) -> bool {
        self.erp_kind.is_some()
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.erp_timeout_secs.max(1))
    }

    /// Refuses settings that cannot work, naming the variable to fix.
    pub fn validate(&self) -> anyhow::Result<()> {
        let Some(kind) = self.erp_kind else {
            if self.erp_url.is_some() {
                bail!("LTC_ERP_URL is set but LTC_ERP_KIND is not (erpnext, odoo or generic)");
            }
            return Ok(());
        };
        let Some(url) = &self.erp_url else {
            bail!("LTC_ERP_KIND is {kind:?} but LTC_ERP_URL is not set");
        };
        if !matches!(url.scheme(), "http" | "https") {
            bail!("LTC_ERP_URL must be an http or https URL");
        }
        match kind {
            ErpKind::Erpnext if self.erp_api_key.is_none() || self.erp_api_secret.is_none() => {
                bail!("ERPNext needs LTC_ERP_API_KEY and LTC_ERP_API_SECRET")
            }
            ErpKind::Odoo if self.erp_api_key.is_none() => bail!("Odoo needs LTC_ERP_API_KEY"),
            _ => Ok(()),
        }
    }

    /// These settings, validated: what the application keeps at start.
    pub fn checked(&self) -> anyhow::Result<ErpSettings> {
        self.validate()?;
        Ok(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(kind: ErpKind, url: Option<&str>) -> ErpSettings {
        ErpSettings {
            erp_kind: Some(kind),
            erp_url: url.map(|u| u.parse().unwrap()),
            ..ErpSettings::default()
        }
    }

    #[test]
    fn off_by_default_and_a_kind_needs_its_url_and_keys() {
        assert!(ErpSettings::default().validate().is_ok());
        assert!(!ErpSettings::default().enabled());
        let error = with(ErpKind::Generic, None).validate().unwrap_err();
        assert!(error.to_string().contains("LTC_ERP_URL"), "{error}");
        assert!(
            with(ErpKind::Generic, Some("http://erp/orders"))
                .validate()
                .is_ok()
        );
        let mut erpnext = with(ErpKind::Erpnext, Some("http://erp"));
        assert!(erpnext.validate().is_err());
        erpnext.erp_api_key = Some(SecretString::from("k"));
        erpnext.erp_api_secret = Some(SecretString::from("s"));
        assert!(erpnext.validate().is_ok());
        assert!(with(ErpKind::Odoo, Some("http://erp")).validate().is_err());
        assert!(with(ErpKind::Odoo, Some("ftp://erp")).validate().is_err());
        let url_only = ErpSettings {
            erp_url: Some("http://erp".parse().unwrap()),
            ..ErpSettings::default()
        };
        assert!(url_only.validate().is_err());
    }
}
