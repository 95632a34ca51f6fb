//! The lead score: 0–100 from five explicit rules, each visible with its points.
//!
//! | factor | points |
//! |---|---|
//! | completeness (max 30) | email 10, phone 5, first and last name 5, company 5, title 5 |
//! | source (max 20) | REFERRAL 20, PARTNER 18, EVENT 15, WEB 10, MARKETING_AUTOMATION 10, SOCIAL 5, OTHER 5 |
//! | budget (max 20) | a stated budget above zero 20 |
//! | timeline (max 20) | WITHIN_MONTH 20, WITHIN_QUARTER 15, WITHIN_YEAR 8, LATER 3, UNKNOWN 0 |
//! | fit (max 10) | email or website domain is an existing account's 10; else company named like an existing account 5 |

use entity::enums::{LeadSource, PurchaseTimeline};
use serde::{Deserialize, Serialize};

/// One rule's contribution, as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub factor: String,
    pub points: i32,
    pub max_points: i32,
    pub reason: String,
}

/// What the score looks at.
pub struct Facts {
    pub has_email: bool,
    pub has_phone: bool,
    pub has_full_name: bool,
    pub has_company: bool,
    pub has_title: bool,
    pub source: LeadSource,
    pub budget_stated: bool,
    pub timeline: PurchaseTimeline,
    pub fit: Fit,
}

/// How the lead matches the existing account base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    DomainMatch,
    CompanyNameMatch,
    None,
}

pub fn score(facts: &Facts) -> (i32, Vec<Factor>) {
    let mut missing = Vec::new();
    let mut completeness = 0;
    for (present, points, what) in [
        (facts.has_email, 10, "email"),
        (facts.has_phone, 5, "phone"),
        (facts.has_full_name, 5, "full name"),
        (facts.has_company, 5, "company"),
        (facts.has_title, 5, "title"),
    ] {
        if present {
            completeness += points;
        } else {
            missing.push(what);
        }
    }
    let completeness_reason = if missing.is_empty() {
        "every contact field is filled".to_owned()
    } else {
        format!("missing: {}", missing.join(", "))
    };

    let source_points = match facts.source {
        LeadSource::Referral => 20,
        LeadSource::Partner => 18,
        LeadSource::Event => 15,
        LeadSource::Web | LeadSource::MarketingAutomation => 10,
        LeadSource::Social | LeadSource::Other => 5,
    };
    let timeline_points = match facts.timeline {
        PurchaseTimeline::WithinMonth => 20,
        PurchaseTimeline::WithinQuarter => 15,
        PurchaseTimeline::WithinYear => 8,
        PurchaseTimeline::Later => 3,
        PurchaseTimeline::Unknown => 0,
    };
    let (fit_points, fit_reason) = match facts.fit {
        Fit::DomainMatch => (10, "domain of an existing account"),
        Fit::CompanyNameMatch => (5, "company named like an existing account"),
        Fit::None => (0, "no match in the account base"),
    };
    let factors = vec![
        Factor {
            factor: "completeness".into(),
            points: completeness,
            max_points: 30,
            reason: completeness_reason,
        },
        Factor {
            factor: "source".into(),
            points: source_points,
            max_points: 20,
            reason: format!("source {:?}", facts.source),
        },
        Factor {
            factor: "budget".into(),
            points: if facts.budget_stated { 20 } else { 0 },
            max_points: 20,
            reason: if facts.budget_stated {
                "budget stated".into()
            } else {
                "no budget stated".into()
            },
        },
        Factor {
            factor: "timeline".into(),
            points: timeline_points,
            max_points: 20,
            reason: format!("timeline {:?}", facts.timeline),
        },
        Factor {
            factor: "fit".into(),
            points: fit_points,
            max_points: 10,
            reason: fit_reason.into(),
        },
    ];
    let total = factors.iter().map(|f| f.points).sum::<i32>().clamp(0, 100);
    (total, factors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(fit: Fit) -> Facts {
        Facts {
            has_email: true,
            has_phone: true,
            has_full_name: true,
            has_company: true,
            has_title: true,
            source: LeadSource::Referral,
            budget_stated: true,
            timeline: PurchaseTimeline::WithinMonth,
            fit,
        }
    }

    #[test]
    fn a_perfect_lead_scores_one_hundred_and_each_factor_adds_up() {
        let (total, factors) = score(&facts(Fit::DomainMatch));
        assert_eq!(total, 100);
        assert_eq!(factors.iter().map(|f| f.max_points).sum::<i32>(), 100);
        let (total, _) = score(&facts(Fit::None));
        assert_eq!(total, 90);
    }

    #[test]
    fn an_empty_lead_scores_only_its_source() {
        let (total, factors) = score(&Facts {
            has_email: false,
            has_phone: false,
            has_full_name: false,
            has_company: false,
            has_title: false,
            source: LeadSource::Other,
            budget_stated: false,
            timeline: PurchaseTimeline::Unknown,
            fit: Fit::None,
        });
        assert_eq!(total, 5);
        assert_eq!(
            factors[0].reason,
            "missing: email, phone, full name, company, title"
        );
    }
}
