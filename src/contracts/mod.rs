//! Contracts made from accepted quotes: payment terms, signing, handover to
//! delivery, execution.
