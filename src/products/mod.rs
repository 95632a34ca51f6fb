//! The catalogue: products and their list prices per currency.
