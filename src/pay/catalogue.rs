//! `PAY_CATALOGUE`: the prices the mini-program may order at (`POST /api/pay/orders` takes a
//! `product_id`, never an amount). JSON: `{"<product_id>": {"amount": <fen>, "description": "…"}}`.
//! Every entry is checked at load, with the rules WeChat Pay applies to the order (§3), so a
//! bad catalogue is a configuration error naming the product, not a failed order later.

use super::fields::{self, MAX_AMOUNT_FEN};
use crate::shared::error::{ApiError, ApiResult};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const CATALOGUE_VAR: &str = "PAY_CATALOGUE";
/// `description` is `string(127)` (§3).
pub const MAX_DESCRIPTION_CHARS: usize = 127;
/// Product ids are ours; kept short and plain so they can appear in logs and `attach`.
pub const MAX_PRODUCT_ID_LEN: usize = 64;

/// One priced product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Fen (分), 1..=[`MAX_AMOUNT_FEN`].
    pub amount: u64,
    /// Shown in the payer's bill (商品描述).
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    products: BTreeMap<String, Product>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    amount: Value,
    description: String,
}

impl Catalogue {
    /// Parses the variable's value; `None` or blank is an empty catalogue.
    pub fn parse(raw: Option<&str>) -> ApiResult<Catalogue> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(Catalogue::default());
        };
        let shape = r#"must be a JSON object {"<product_id>": {"amount": <fen>, "description": "…"}}"#;
        let entries: BTreeMap<String, Entry> = serde_json::from_str(raw).map_err(|_| ApiError::config(CATALOGUE_VAR, shape))?;
        let mut products = BTreeMap::new();
        for (id, entry) in entries {
            let problem = |what: &str| ApiError::config(CATALOGUE_VAR, &format!("product {}: {what}", shown(&id)));
            if !valid_product_id(&id) {
                return Err(problem(&format!("the id must be 1–{MAX_PRODUCT_ID_LEN} characters of A-Z a-z 0-9 _ - .")));
            }
            let amount = match entry.amount.as_u64() {
                Some(fen) if (1..=MAX_AMOUNT_FEN).contains(&fen) => fen,
                _ => return Err(problem(&format!("amount must be a whole number of fen between 1 and {MAX_AMOUNT_FEN}"))),
            };
            fields::text("description", &entry.description, 1, MAX_DESCRIPTION_CHARS).map_err(|e| problem(&e.message))?;
            products.insert(id, Product { amount, description: entry.description });
        }
        Ok(Catalogue { products })
    }

    /// The product a mini-program asked for; unknown is a 400 naming `product_id`.
    pub fn product(&self, product_id: &str) -> ApiResult<&Product> {
        self.products.get(product_id).ok_or_else(|| ApiError::invalid_field("product_id", "is not in the catalogue"))
    }

    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }
}

pub fn valid_product_id(id: &str) -> bool {
    (1..=MAX_PRODUCT_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// A product id as an error may show it: bounded, printable.
fn shown(id: &str) -> String {
    let clean: String = id.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("{clean:?}")
}

#[cfg(test)]
mod tests;
