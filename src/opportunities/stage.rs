//! What each stage implies: its place in the pipeline, its default win
//! probability and who leads the deal.

use entity::enums::{OpportunityStage, TeamRole};

use crate::{Error, Result};

/// The open stages in pipeline order. A deal moves forward through them
/// (skipping is allowed); WON comes only from signing a contract, LOST only
/// from `loseOpportunity`.
pub const OPEN: [OpportunityStage; 4] = [
    OpportunityStage::Discover,
    OpportunityStage::Qualify,
    OpportunityStage::Propose,
    OpportunityStage::Negotiate,
];

/// The stage's place among the open stages; `None` for WON and LOST.
pub fn rank(stage: OpportunityStage) -> Option<usize> {
    OPEN.iter().position(|s| *s == stage)
}

pub fn is_open(stage: OpportunityStage) -> bool {
    rank(stage).is_some()
}

/// The schema's spelling of a stage, as the history stores it.
pub fn name(stage: OpportunityStage) -> &'static str {
    match stage {
        OpportunityStage::Discover => "DISCOVER",
        OpportunityStage::Qualify => "QUALIFY",
        OpportunityStage::Propose => "PROPOSE",
        OpportunityStage::Negotiate => "NEGOTIATE",
        OpportunityStage::Won => "WON",
        OpportunityStage::Lost => "LOST",
    }
}

/// The `INVALID_TRANSITION` error for `from → to`.
pub fn refused(from: OpportunityStage, to: OpportunityStage) -> Error {
    Error::InvalidTransition {
        from: name(from).into(),
        to: name(to).into(),
    }
}

/// Checks that `advanceOpportunity` may move a deal from `from` to `to`:
/// both open, `to` strictly later. Going back, standing still, and reaching
/// WON or LOST this way are all refused.
pub fn check_advance(from: OpportunityStage, to: OpportunityStage) -> Result<()> {
    match (rank(from), rank(to)) {
        (Some(f), Some(t)) if t > f => Ok(()),
        _ => Err(refused(from, to)),
    }
}

/// Default probability (percent) per stage, used unless an opportunity overrides it.
///
/// | stage | % |
/// |---|---|
/// | DISCOVER | 10 |
/// | QUALIFY | 20 |
/// | PROPOSE | 50 |
/// | NEGOTIATE | 75 |
/// | WON | 100 |
/// | LOST | 0 |
pub fn default_probability(stage: OpportunityStage) -> i32 {
    match stage {
        OpportunityStage::Discover => 10,
        OpportunityStage::Qualify => 20,
        OpportunityStage::Propose => 50,
        OpportunityStage::Negotiate => 75,
        OpportunityStage::Won => 100,
        OpportunityStage::Lost => 0,
    }
}

/// A probability override: a whole percentage from 0 to 100.
pub fn parse_probability(field: &str, value: i32) -> Result<i32> {
    if (0..=100).contains(&value) {
        Ok(value)
    } else {
        Err(Error::validation(field, "must be between 0 and 100"))
    }
}

/// The AR leads while discovering and qualifying, the SR while proposing and
/// negotiating, the FR once the contract is signed. A lost deal goes back to its AR.
pub fn leading_role(stage: OpportunityStage) -> TeamRole {
    match stage {
        OpportunityStage::Discover | OpportunityStage::Qualify | OpportunityStage::Lost => {
            TeamRole::Ar
        }
        OpportunityStage::Propose | OpportunityStage::Negotiate => TeamRole::Sr,
        OpportunityStage::Won => TeamRole::Fr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OpportunityStage::*;

    #[test]
    fn a_deal_advances_forward_only_and_never_to_won_or_lost() {
        assert!(check_advance(Discover, Qualify).is_ok());
        assert!(check_advance(Discover, Negotiate).is_ok());
        for (from, to) in [
            (Qualify, Discover),
            (Propose, Propose),
            (Negotiate, Won),
            (Discover, Lost),
            (Lost, Propose),
            (Won, Negotiate),
        ] {
            assert!(check_advance(from, to).is_err(), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn probabilities_are_percentages() {
        assert!(parse_probability("p", 0).is_ok() && parse_probability("p", 100).is_ok());
        assert!(parse_probability("p", -1).is_err() && parse_probability("p", 101).is_err());
    }
}
