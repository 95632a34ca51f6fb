//! What each stage implies: its default win probability and who leads the deal.

use entity::enums::{OpportunityStage, TeamRole};

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
