//! Quotes (configure, price, quote): versioned offers per opportunity, priced
//! exactly, approved when discounts pass the thresholds.
