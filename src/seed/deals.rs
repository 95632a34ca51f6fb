//! Opportunities with their teams and stage history, and quote versions
//! priced by the real pricing rules (`quotes::pricing`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    DecimalText,
    enums::{OpportunityStage, QuoteStatus, SubjectKind, TeamRole},
    opportunity, quote, quote_line, team_member, transition,
};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use uuid::Uuid;

use super::{
    catalogue::{MANAGERS, Product},
    crm::Account,
    names,
    rng::Seeded,
    writer::{Sink, Writer},
};
use crate::{
    money::{Currency, Money},
    quotes::pricing::{self, Line},
};

/// The accepted quote of a won deal, which its contract copies.
pub struct Accepted {
    pub quote: quote::Model,
    pub lines: Vec<quote_line::Model>,
}

/// One opportunity as planned before anything is written: leads are made
/// after the plan (converted leads point at their deal) and before the
/// opportunities are written (an opportunity points at its lead).
pub struct Deal {
    pub id: Uuid,
    pub account: usize,
    /// Index into the account's contacts: the person the lead was.
    pub contact: usize,
    pub stage: OpportunityStage,
    /// For a LOST deal, the stage it was lost in.
    pub lost_from: Option<OpportunityStage>,
    pub created_at: DateTime<Utc>,
    /// When a WON or LOST deal closed.
    pub closed_at: Option<DateTime<Utc>>,
    pub close_date: NaiveDate,
    pub currency: &'static str,
    pub has_lead: bool,
    pub lead: Option<Uuid>,
    pub ar: usize,
    pub sr: Option<usize>,
    pub fr: Option<usize>,
    /// Earlier quote versions (superseded) before the current one.
    pub earlier_versions: u32,
    pub accepted: Option<Accepted>,
}

impl Deal {
    fn has_quote(&self) -> bool {
        match self.stage {
            OpportunityStage::Propose | OpportunityStage::Negotiate | OpportunityStage::Won => true,
            OpportunityStage::Lost => matches!(
                self.lost_from,
                Some(OpportunityStage::Propose | OpportunityStage::Negotiate)
            ),
            _ => false,
        }
    }
}

/// Plans `n` deals of which exactly `won` are WON, and spreads quote
/// versions so that there are about `quotes` in all.
pub fn plan(
    rng: &mut Seeded,
    accounts: &[Account],
    users: usize,
    n: usize,
    won: usize,
    quotes: usize,
) -> Vec<Deal> {
    let won = won.min(n);
    let rest = n - won;
    let lost = rest / 4;
    let discover = rest / 6;
    let qualify = rest / 6;
    let propose = rest / 5;
    let negotiate = rest - lost - discover - qualify - propose;
    let mut stages = Vec::with_capacity(n);
    for (stage, count) in [
        (OpportunityStage::Won, won),
        (OpportunityStage::Lost, lost),
        (OpportunityStage::Discover, discover),
        (OpportunityStage::Qualify, qualify),
        (OpportunityStage::Propose, propose),
        (OpportunityStage::Negotiate, negotiate),
    ] {
        stages.extend(std::iter::repeat_n(stage, count));
    }
    rng.shuffle(&mut stages);

    let mut deals = Vec::with_capacity(n);
    for stage in stages {
        let account_index = rng.index(accounts.len());
        let account = &accounts[account_index];
        let closed = matches!(stage, OpportunityStage::Won | OpportunityStage::Lost);
        let (created_at, closed_at) = if closed {
            let created = rng.between(
                account.created_at.max(rng.start),
                rng.now - Duration::days(40),
            );
            let closed = rng.later(created, 14, 200);
            (created, Some(closed))
        } else {
            let created = rng.between(
                account.created_at.max(rng.now - Duration::days(240)),
                rng.now - Duration::days(1),
            );
            (created, None)
        };
        let close_date = match closed_at {
            Some(at) => at.date_naive(),
            None => rng.as_of + Duration::days(rng.int(-10..=180)),
        };
        let lost_from = (stage == OpportunityStage::Lost).then(|| {
            rng.weighted(&[
                (OpportunityStage::Qualify, 30),
                (OpportunityStage::Propose, 40),
                (OpportunityStage::Negotiate, 30),
            ])
        });
        let past_proposal = matches!(
            stage,
            OpportunityStage::Propose | OpportunityStage::Negotiate | OpportunityStage::Won
        ) || matches!(
            lost_from,
            Some(OpportunityStage::Propose | OpportunityStage::Negotiate)
        );
        deals.push(Deal {
            id: rng.id_at(created_at),
            account: account_index,
            contact: rng.index(account.contacts.len()),
            stage,
            lost_from,
            created_at,
            closed_at,
            close_date,
            currency: if rng.chance(0.7) { "EUR" } else { "USD" },
            has_lead: !account.contacts.is_empty() && rng.chance(0.6),
            lead: None,
            ar: account.owner,
            sr: past_proposal.then(|| rng.index(users)),
            fr: (stage == OpportunityStage::Won).then(|| rng.index(users)),
            earlier_versions: 0,
            accepted: None,
        });
    }
    let with_quote: Vec<usize> = (0..deals.len())
        .filter(|&i| deals[i].has_quote() && deals[i].stage != OpportunityStage::Lost)
        .collect();
    let base = deals.iter().filter(|d| d.has_quote()).count();
    if !with_quote.is_empty() {
        for _ in base..quotes {
            let i = with_quote[rng.index(with_quote.len())];
            deals[i].earlier_versions += 1;
        }
    }
    deals
}

/// Writes the deals: opportunities, team members, stage history, quotes and
/// quote lines. Keeps each won deal's accepted quote for its contract.
pub async fn seed(
    rng: &mut Seeded,
    sink: &Sink<'_>,
    deals: &mut [Deal],
    accounts: &[Account],
    products: &[Product],
) -> anyhow::Result<()> {
    // Quotes first, in memory: a deal's amount is its latest quote's total.
    let mut quotes = Vec::new();
    let mut lines = Vec::new();
    let mut amounts = Vec::with_capacity(deals.len());
    for deal in deals.iter_mut() {
        let amount = quote_versions(rng, deal, products, &mut quotes, &mut lines)?;
        amounts.push(amount);
    }

    let mut opportunities =
        Writer::<opportunity::Entity>::new(sink, "opportunities", Some(deals.len() as u64));
    let mut team = Writer::<team_member::Entity>::new(sink, "opportunity_team_members", None);
    let mut history = Writer::<transition::Entity>::new(sink, "transitions", None);
    for (deal, amount) in deals.iter().zip(amounts) {
        let account = &accounts[deal.account];
        let amount = amount.or_else(|| rng.chance(0.5).then(|| rng.int(5_000..=250_000) * 100));
        let updated_at = deal
            .closed_at
            .unwrap_or_else(|| rng.later(deal.created_at, 0, 20));
        if opportunities.push(opportunity::Model {
            id: deal.id,
            account_id: account.id,
            name: format!(
                "{} – {} {}",
                account.name,
                rng.pick(names::PRODUCT_FAMILIES).0,
                deal.created_at.format("%Y")
            ),
            stage: deal.stage,
            amount_minor: amount,
            currency: amount.map(|_| deal.currency.to_owned()),
            expected_close_date: deal.close_date,
            probability_override: rng.chance(0.1).then(|| rng.int(1..=19) as i32 * 5),
            lead_id: deal.lead,
            lost_reason: deal
                .lost_from
                .map(|_| (*rng.pick(names::LOST_REASONS)).to_owned()),
            lost_from_stage: deal.lost_from,
            created_at: deal.created_at,
            updated_at,
        }) {
            opportunities.flush(sink).await?;
        }
        let end = deal.closed_at.unwrap_or(rng.now);
        for (user, role, at) in [
            (Some(deal.ar), TeamRole::Ar, deal.created_at),
            (deal.sr, TeamRole::Sr, rng.between(deal.created_at, end)),
            (deal.fr, TeamRole::Fr, end),
        ] {
            if let Some(user) = user {
                team.push(team_member::Model {
                    opportunity_id: deal.id,
                    user_id: super::user(user),
                    role,
                    added_at: at,
                });
            }
        }
        for row in stage_history(rng, deal) {
            history.push(row);
        }
        // Children wait until their parents are written.
        if team.is_full() || history.is_full() {
            opportunities.flush(sink).await?;
            team.flush(sink).await?;
            history.flush(sink).await?;
        }
    }
    opportunities.finish(sink).await?;
    team.finish(sink).await?;
    history.finish(sink).await?;

    let mut quote_writer = Writer::<quote::Entity>::new(sink, "quotes", Some(quotes.len() as u64));
    for row in quotes {
        if quote_writer.push(row) {
            quote_writer.flush(sink).await?;
        }
    }
    quote_writer.finish(sink).await?;
    let mut line_writer =
        Writer::<quote_line::Entity>::new(sink, "quote_lines", Some(lines.len() as u64));
    for row in lines {
        if line_writer.push(row) {
            line_writer.flush(sink).await?;
        }
    }
    line_writer.finish(sink).await?;
    Ok(())
}

/// The path a deal took to its stage, one transition per step.
fn stage_history(rng: &mut Seeded, deal: &Deal) -> Vec<transition::Model> {
    use OpportunityStage::*;
    let target = deal.lost_from.unwrap_or(deal.stage);
    let order = [Discover, Qualify, Propose, Negotiate];
    let mut path: Vec<OpportunityStage> =
        order.iter().copied().take_while(|s| *s != target).collect();
    path.push(if deal.stage == Won { Negotiate } else { target });
    path.dedup();
    if matches!(deal.stage, Won | Lost) {
        path.push(deal.stage);
    }
    let end = deal.closed_at.unwrap_or(rng.now);
    let mut times: Vec<DateTime<Utc>> = (1..path.len())
        .map(|_| rng.between(deal.created_at, end))
        .collect();
    times.sort();
    if let (Some(closed), Some(last)) = (deal.closed_at, times.last_mut()) {
        *last = closed;
    }
    let actor = super::user(deal.ar);
    let mut rows = Vec::with_capacity(path.len());
    let mut from: Option<OpportunityStage> = None;
    for (i, stage) in path.iter().enumerate() {
        let at = if i == 0 {
            deal.created_at
        } else {
            times[i - 1]
        };
        rows.push(transition::Model {
            id: rng.id_at(at),
            subject_kind: SubjectKind::Opportunity,
            subject_id: deal.id,
            from_state: from.map(|s| s.to_value()),
            to_state: stage.to_value(),
            reason: None,
            actor_id: actor.clone(),
            actor_name: None,
            at,
        });
        from = Some(*stage);
    }
    rows
}

/// Makes the deal's quote versions; returns the latest one's total in minor units.
fn quote_versions(
    rng: &mut Seeded,
    deal: &mut Deal,
    products: &[Product],
    quotes: &mut Vec<quote::Model>,
    lines: &mut Vec<quote_line::Model>,
) -> anyhow::Result<Option<i64>> {
    if !deal.has_quote() || products.is_empty() {
        return Ok(None);
    }
    let versions = 1 + deal.earlier_versions as usize;
    let first = rng.later(deal.created_at, 2, 20);
    let end = match deal.closed_at {
        Some(closed) => (closed - Duration::days(1)).max(first),
        None => rng.now,
    };
    let mut times: Vec<DateTime<Utc>> = (0..versions).map(|_| rng.between(first, end)).collect();
    times.sort();
    if deal.closed_at.is_none()
        && let Some(last) = times.last_mut()
    {
        // An open deal's current offer is recent enough to still be valid.
        *last = (*last).max(rng.now - Duration::days(20));
    }
    let currency = Currency::parse("currency", deal.currency)?;
    let tax_rate = if deal.currency == "EUR" {
        Decimal::new(19, 2)
    } else {
        Decimal::new(8, 2)
    };
    let author = super::user(deal.sr.unwrap_or(deal.ar));
    let mut previous: Option<Uuid> = None;
    let mut amount = None;
    for (v, created_at) in times.into_iter().enumerate() {
        let current = v + 1 == versions;
        let id = rng.id_at(created_at);
        let (quote_lines, totals) =
            priced_lines(rng, id, created_at, currency, tax_rate, products)?;
        let status = if !current {
            QuoteStatus::Superseded
        } else {
            match deal.stage {
                OpportunityStage::Won => QuoteStatus::Accepted,
                // Accepting a quote moves a deal to NEGOTIATE; the contract
                // comes later, when the deal is won.
                OpportunityStage::Negotiate => rng.weighted(&[
                    (QuoteStatus::Accepted, 50),
                    (QuoteStatus::Sent, 35),
                    (QuoteStatus::Approved, 10),
                    (QuoteStatus::PendingApproval, 5),
                ]),
                OpportunityStage::Lost => {
                    rng.weighted(&[(QuoteStatus::Rejected, 70), (QuoteStatus::Expired, 30)])
                }
                _ => rng.weighted(&[
                    (QuoteStatus::Draft, 40),
                    (QuoteStatus::PendingApproval, 20),
                    (QuoteStatus::Approved, 25),
                    (QuoteStatus::Sent, 15),
                ]),
            }
        };
        let needs_approval = totals.passes_total_threshold(Decimal::from(10))
            || quote_lines
                .iter()
                .any(|l| l.discount_percent.0 > Decimal::from(15));
        let decided = !matches!(status, QuoteStatus::Draft | QuoteStatus::PendingApproval);
        let sent = matches!(
            status,
            QuoteStatus::Sent
                | QuoteStatus::Accepted
                | QuoteStatus::Rejected
                | QuoteStatus::Expired
                | QuoteStatus::Superseded
        );
        let sent_at = sent.then(|| rng.later(created_at, 0, 3));
        let accepted_at = (status == QuoteStatus::Accepted).then(|| {
            deal.closed_at
                .unwrap_or(created_at)
                .max(sent_at.unwrap_or(created_at))
        });
        let updated_at = accepted_at.or(sent_at).unwrap_or(created_at);
        let row = quote::Model {
            id,
            opportunity_id: deal.id,
            version: v as i32 + 1,
            status,
            currency: deal.currency.to_owned(),
            valid_until: (created_at + Duration::days(30)).date_naive(),
            tax_rate: DecimalText(tax_rate),
            subtotal: DecimalText(totals.subtotal),
            discount_total: DecimalText(totals.discount_total),
            tax: DecimalText(totals.tax),
            total: DecimalText(totals.total),
            author_id: author.clone(),
            approved_by: (needs_approval && decided).then(|| (*rng.pick(MANAGERS)).to_owned()),
            rejection_reason: (status == QuoteStatus::Rejected)
                .then(|| (*rng.pick(names::LOST_REASONS)).to_owned()),
            revises_id: previous,
            sent_at,
            accepted_at,
            created_at,
            updated_at,
        };
        previous = Some(id);
        if current {
            amount = Some(
                Money {
                    amount: totals.total,
                    currency,
                }
                .to_minor()?,
            );
        }
        if status == QuoteStatus::Accepted && deal.stage == OpportunityStage::Won {
            deal.accepted = Some(Accepted {
                quote: row.clone(),
                lines: quote_lines.clone(),
            });
        }
        quotes.push(row);
        lines.extend(quote_lines);
    }
    Ok(amount)
}

/// Five to twenty lines of distinct products, priced exactly.
fn priced_lines(
    rng: &mut Seeded,
    quote_id: Uuid,
    created_at: DateTime<Utc>,
    currency: Currency,
    tax_rate: Decimal,
    products: &[Product],
) -> anyhow::Result<(Vec<quote_line::Model>, pricing::Totals)> {
    let count = rng.int(5..=20) as usize;
    let chosen = rng.distinct(products.len(), count);
    let mut inputs = Vec::with_capacity(chosen.len());
    let mut rows = Vec::with_capacity(chosen.len());
    for (position, &p) in chosen.iter().enumerate() {
        let product = &products[p];
        let quantity = match product.unit {
            "seat" => Decimal::from(rng.int(5..=500)),
            "month" => Decimal::from(*rng.pick(&[12, 24, 36])),
            "day" => Decimal::from(rng.int(1..=40)),
            // Support is booked in half hours.
            "hour" => Decimal::new(rng.int(20..=800) * 5, 1),
            _ => Decimal::from(rng.int(1..=50)),
        };
        let list_price = product.list_price(currency.code());
        let overridden = rng.chance(0.08);
        let unit_price = if overridden {
            Money::rounded(list_price * Decimal::new(rng.int(85..=95), 2), currency).amount
        } else {
            list_price
        };
        let discount = if rng.chance(0.55) {
            Decimal::ZERO
        } else {
            *rng.pick(&[
                Decimal::from(5),
                Decimal::new(75, 1),
                Decimal::from(10),
                Decimal::new(125, 1),
                Decimal::from(15),
                Decimal::from(20),
                Decimal::from(25),
            ])
        };
        inputs.push(Line {
            quantity,
            unit_price,
            discount_percent: discount,
        });
        rows.push(quote_line::Model {
            id: rng.id_at(created_at),
            quote_id,
            position: position as i32 + 1,
            product_id: product.id,
            quantity: DecimalText(quantity),
            list_price: DecimalText(list_price),
            unit_price: DecimalText(unit_price),
            price_overridden: overridden,
            discount_percent: DecimalText(discount),
            gross: DecimalText(Decimal::ZERO),
            net: DecimalText(Decimal::ZERO),
        });
    }
    let totals = pricing::price(currency, &inputs, tax_rate)?;
    for (row, amounts) in rows.iter_mut().zip(&totals.lines) {
        row.gross = DecimalText(amounts.gross);
        row.net = DecimalText(amounts.net);
    }
    Ok((rows, totals))
}
