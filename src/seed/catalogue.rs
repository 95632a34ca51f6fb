//! Users and the product catalogue with EUR and USD list prices.

use chrono::Duration;
use entity::{DecimalText, price, product};
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

use super::{names, rng::Seeded, writer::Sink, writer::Writer};
use crate::input;

/// What the quote generator needs to know of a product.
pub struct Product {
    pub id: Uuid,
    pub unit: &'static str,
    pub eur: Decimal,
    pub usd: Decimal,
}

impl Product {
    pub fn list_price(&self, currency: &str) -> Decimal {
        if currency == "USD" {
            self.usd
        } else {
            self.eur
        }
    }
}

/// The managers who approve discounted quotes.
pub const MANAGERS: &[&str] = &["manager-01", "manager-02", "manager-03"];

/// Writes `n` products with a EUR and a USD price each; returns the active ones.
pub async fn seed(rng: &mut Seeded, sink: &Sink<'_>, n: usize) -> anyhow::Result<Vec<Product>> {
    let mut products = Writer::<product::Entity>::new(sink, "products", Some(n as u64));
    let mut prices = Writer::<price::Entity>::new(sink, "prices", Some(2 * n as u64));
    let mut active = Vec::with_capacity(n);
    let families = names::PRODUCT_FAMILIES;
    let tiers = names::PRODUCT_TIERS;
    for i in 0..n {
        let (family, unit, low, high) = families[i % families.len()];
        let tier = tiers[(i / families.len()) % tiers.len()];
        let round = i / (families.len() * tiers.len());
        let name = if round == 0 {
            format!("{family} {tier}")
        } else {
            format!("{family} {tier} {}", round + 1)
        };
        let sku = format!("SKU-{:04}", i + 1);
        let created = rng.start - Duration::days(rng.int(30..=400));
        let whole = rng.int(low..=high);
        // Half the prices end in .90 or .99, as price lists do.
        let eur = match rng.int(0..=3) {
            0 => Decimal::new(whole * 100 - 10, 2),
            1 => Decimal::new(whole * 100 - 1, 2),
            _ => Decimal::from(whole),
        };
        let usd = (eur * Decimal::new(108, 2))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        let is_active = rng.chance(0.97);
        let id = rng.id_at(created);
        products.push(product::Model {
            id,
            search_text: input::search_text(&[Some(&sku), Some(&name)]),
            sku,
            name,
            unit: unit.to_owned(),
            active: is_active,
            erp_item_code: rng.chance(0.97).then(|| format!("ITEM-{:04}", i + 1)),
            created_at: created,
            updated_at: created,
        });
        for (currency, amount) in [("EUR", eur), ("USD", usd)] {
            prices.push(price::Model {
                product_id: id,
                currency: currency.to_owned(),
                list_price: DecimalText(amount),
                updated_at: created,
            });
        }
        if is_active {
            active.push(Product { id, unit, eur, usd });
        }
    }
    products.finish(sink).await?;
    prices.finish(sink).await?;
    Ok(active)
}
