//! The lead score: 0–100 from six explicit rules, each visible with its points.
//!
//! | factor | points |
//! |---|---|
//! | completeness (max 30) | email 10, phone 5, first and last name 5, company 5, title 5 |
//! | source (max 20) | REFERRAL 20, PARTNER 18, EVENT 15, WEB 10, MARKETING_AUTOMATION 10, SOCIAL 5, OTHER 5 |
//! | budget (max 20) | a stated budget above zero 20 |
//! | timeline (max 20) | WITHIN_MONTH 20, WITHIN_QUARTER 15, WITHIN_YEAR 8, LATER 3, UNKNOWN 0 |
//! | fit (max 10) | email or website domain is an existing account's 10; else company named like an existing account 5 |
//! | engagement (max 20) | each form fill 5, email click 3, meeting booked 10; never more than the 100 the other five leave room for |
//!
//! The first five add up to at most 100 on their own ([`score`]); engagement
//! ([`with_engagement`]) is a bonus on top that only fills the room left
//! below 100, so the factors always add up to the score and the score never
//! passes 100.

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

/// A kind of engagement signal from marketing automation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngagementKind {
    FormFill,
    EmailClick,
    MeetingBooked,
}

impl EngagementKind {
    /// Points each signal of this kind is worth.
    pub fn points(self) -> i32 {
        match self {
            EngagementKind::FormFill => 5,
            EngagementKind::EmailClick => 3,
            EngagementKind::MeetingBooked => 10,
        }
    }
}

/// The engagement signals counted on a lead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Engagement {
    pub form_fills: i32,
    pub email_clicks: i32,
    pub meetings_booked: i32,
}

/// Most points engagement adds.
pub const ENGAGEMENT_MAX: i32 = 20;

/// Adds the `engagement` factor to a score from [`score`]: its points are
/// the signals' worth, at most [`ENGAGEMENT_MAX`] and at most the room left
/// below 100, so the factors still add up to the total.
pub fn with_engagement(
    (total, mut factors): (i32, Vec<Factor>),
    engagement: &Engagement,
) -> (i32, Vec<Factor>) {
    let mut parts = Vec::new();
    let mut raw = 0_i64;
    for (count, kind, one, many) in [
        (
            engagement.form_fills,
            EngagementKind::FormFill,
            "form fill",
            "form fills",
        ),
        (
            engagement.email_clicks,
            EngagementKind::EmailClick,
            "email click",
            "email clicks",
        ),
        (
            engagement.meetings_booked,
            EngagementKind::MeetingBooked,
            "meeting booked",
            "meetings booked",
        ),
    ] {
        if count > 0 {
            raw += i64::from(count) * i64::from(kind.points());
            parts.push(format!("{count} {}", if count == 1 { one } else { many }));
        }
    }
    let room = (100 - total).max(0);
    let points = i32::try_from(raw.min(i64::from(ENGAGEMENT_MAX)))
        .unwrap_or(ENGAGEMENT_MAX)
        .min(room);
    let reason = if parts.is_empty() {
        "no engagement recorded".to_owned()
    } else if i64::from(points) < raw {
        format!("{} ({raw} points, capped at {points})", parts.join(", "))
    } else {
        parts.join(", ")
    };
    factors.push(Factor {
        factor: "engagement".into(),
        points,
        max_points: ENGAGEMENT_MAX,
        reason,
    });
    (total + points, factors)
}

#[cfg(test)]
mod engagement_tests {
    use super::*;

    fn base(source: LeadSource, timeline: PurchaseTimeline) -> (i32, Vec<Factor>) {
        score(&Facts {
            has_email: true,
            has_phone: false,
            has_full_name: true,
            has_company: true,
            has_title: false,
            source,
            budget_stated: false,
            timeline,
            fit: Fit::None,
        })
    }

    #[test]
    fn each_signal_adds_its_points_and_the_factor_explains_them() {
        let (before, _) = base(LeadSource::Web, PurchaseTimeline::Unknown);
        let (after, factors) = with_engagement(
            base(LeadSource::Web, PurchaseTimeline::Unknown),
            &Engagement {
                form_fills: 1,
                email_clicks: 1,
                meetings_booked: 0,
            },
        );
        assert_eq!(after, before + 8);
        let engagement = factors.last().unwrap();
        assert_eq!(engagement.factor, "engagement");
        assert_eq!(engagement.points, 8);
        assert_eq!(engagement.reason, "1 form fill, 1 email click");
        assert_eq!(factors.iter().map(|f| f.points).sum::<i32>(), after);
    }

    #[test]
    fn engagement_is_capped_at_its_maximum_and_at_one_hundred() {
        let lots = Engagement {
            form_fills: 3,
            email_clicks: 4,
            meetings_booked: 2,
        };
        let (total, factors) =
            with_engagement(base(LeadSource::Web, PurchaseTimeline::Unknown), &lots);
        assert_eq!(factors.last().unwrap().points, ENGAGEMENT_MAX);
        assert_eq!(
            factors.last().unwrap().reason,
            "3 form fills, 4 email clicks, 2 meetings booked (47 points, capped at 20)"
        );
        assert_eq!(factors.iter().map(|f| f.points).sum::<i32>(), total);

        // 20 + 20 + 20 + 10 + 10 = 90 before engagement: room for 10 only.
        let hot = score(&Facts {
            has_email: true,
            has_phone: true,
            has_full_name: true,
            has_company: true,
            has_title: true,
            source: LeadSource::Referral,
            budget_stated: true,
            timeline: PurchaseTimeline::WithinMonth,
            fit: Fit::None,
        });
        let (total, factors) = with_engagement(hot, &lots);
        assert_eq!(total, 100);
        assert_eq!(factors.last().unwrap().points, 10);
        assert_eq!(factors.iter().map(|f| f.points).sum::<i32>(), 100);
    }

    #[test]
    fn no_engagement_adds_nothing() {
        let (before, _) = base(LeadSource::Event, PurchaseTimeline::Later);
        let (after, factors) = with_engagement(
            base(LeadSource::Event, PurchaseTimeline::Later),
            &Engagement::default(),
        );
        assert_eq!(after, before);
        assert_eq!(factors.len(), 6);
        assert_eq!(factors.last().unwrap().reason, "no engagement recorded");
    }
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
