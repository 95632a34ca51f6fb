//! Payment terms: the milestones a contract is paid by. Each has a trigger
//! (`ON_SIGNING`, `ON_DELIVERY`, `ON_ACCEPTANCE`), a percent of the value it
//! applies to (above 0, at most 2 decimals) and the days until payment is due
//! (0–3650); together they sum to exactly 100 %.

use entity::enums::MilestoneTrigger;
use rust_decimal::Decimal;

use crate::{Error, Result};

/// Most milestones one contract may have.
pub const MAX_TERMS: usize = 50;
/// Longest payment period: ten years.
pub const MAX_DUE_DAYS: i32 = 3650;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    pub trigger: MilestoneTrigger,
    pub percent: Decimal,
    pub due_in_days: i32,
}

/// Checks the terms, naming the offending milestone (`paymentTerms[i].percent`)
/// or, for a wrong sum, `paymentTerms`.
pub fn check(terms: &[Term]) -> Result<Vec<Term>> {
    if terms.is_empty() {
        return Err(Error::validation(
            "paymentTerms",
            "a contract needs at least one payment milestone",
        ));
    }
    if terms.len() > MAX_TERMS {
        return Err(Error::validation(
            "paymentTerms",
            format!("a contract has at most {MAX_TERMS} payment milestones"),
        ));
    }
    let mut sum = Decimal::ZERO;
    for (i, term) in terms.iter().enumerate() {
        if term.percent <= Decimal::ZERO || term.percent > Decimal::ONE_HUNDRED {
            return Err(Error::validation(
                format!("paymentTerms[{i}].percent"),
                "must be above 0 and at most 100",
            ));
        }
        if term.percent.normalize().scale() > 2 {
            return Err(Error::validation(
                format!("paymentTerms[{i}].percent"),
                "allows at most 2 decimal places",
            ));
        }
        if !(0..=MAX_DUE_DAYS).contains(&term.due_in_days) {
            return Err(Error::validation(
                format!("paymentTerms[{i}].dueInDays"),
                format!("must be between 0 and {MAX_DUE_DAYS}"),
            ));
        }
        sum += term.percent;
    }
    if sum != Decimal::ONE_HUNDRED {
        return Err(Error::validation(
            "paymentTerms",
            format!("the milestones sum to {} %, not 100 %", sum.normalize()),
        ));
    }
    Ok(terms
        .iter()
        .map(|t| Term {
            percent: t.percent.normalize(),
            ..*t
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use MilestoneTrigger::*;

    fn term(trigger: MilestoneTrigger, percent: &str, days: i32) -> Term {
        Term {
            trigger,
            percent: percent.parse().unwrap_or_else(|e| panic!("{percent}: {e}")),
            due_in_days: days,
        }
    }

    fn field(terms: &[Term]) -> String {
        match check(terms) {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn milestones_summing_to_exactly_100_are_accepted() {
        let ok = check(&[
            term(OnSigning, "30", 14),
            term(OnDelivery, "33.33", 30),
            term(OnAcceptance, "36.67", 0),
        ]);
        assert!(ok.is_ok());
        assert!(check(&[term(OnSigning, "100.00", 3650)]).is_ok());
    }

    #[test]
    fn bad_milestones_are_refused_naming_the_field() {
        assert_eq!(field(&[]), "paymentTerms");
        assert_eq!(
            field(&[term(OnSigning, "50", 0), term(OnDelivery, "49.99", 0)]),
            "paymentTerms"
        );
        assert_eq!(
            field(&[term(OnSigning, "50", 0), term(OnDelivery, "50.01", 0)]),
            "paymentTerms"
        );
        assert_eq!(
            field(&[term(OnSigning, "0", 0), term(OnDelivery, "100", 0)]),
            "paymentTerms[0].percent"
        );
        assert_eq!(
            field(&[term(OnSigning, "33.333", 0)]),
            "paymentTerms[0].percent"
        );
        assert_eq!(
            field(&[term(OnSigning, "100", 3651)]),
            "paymentTerms[0].dueInDays"
        );
        assert_eq!(
            field(&[term(OnSigning, "100", -1)]),
            "paymentTerms[0].dueInDays"
        );
    }
}
