//! Shop intake, the parts without I/O: webhook signatures, the platforms'
//! order payloads read into one shape, and an order's lines mapped to the
//! farm's products. The HTTP side and the processing are in `api::shops`;
//! rows in `store::shops`.

pub mod mapping;
pub mod payload;
pub mod signature;

use serde::{Deserialize, Serialize};

/// The e-commerce platforms printfarm takes orders from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Shopify (`X-Shopify-*` headers).
    Shopify,
    /// WooCommerce (`X-WC-Webhook-*` headers).
    Woocommerce,
}

impl Platform {
    /// The spelling in URLs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::Woocommerce => "woocommerce",
        }
    }

    /// Reads the spelling of [`Platform::as_str`].
    pub fn parse(text: &str) -> Option<Platform> {
        match text {
            "shopify" => Some(Platform::Shopify),
            "woocommerce" => Some(Platform::Woocommerce),
            _ => None,
        }
    }
}

/// Where a store's order stands at the farm's door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeState {
    /// Not paid yet: nothing prints.
    WaitingPayment,
    /// A line's SKU maps to no product: an operator maps it.
    NeedsMapping,
    /// A line's values are missing or refused: an operator corrects them.
    NeedsReview,
    /// The farm's order exists.
    Ordered,
    /// Cancelled by the shop.
    Cancelled,
}

impl IntakeState {
    /// The spelling in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeState::WaitingPayment => "waiting_payment",
            IntakeState::NeedsMapping => "needs_mapping",
            IntakeState::NeedsReview => "needs_review",
            IntakeState::Ordered => "ordered",
            IntakeState::Cancelled => "cancelled",
        }
    }

    /// Reads the spelling of [`IntakeState::as_str`].
    pub fn parse(text: &str) -> Option<IntakeState> {
        [
            IntakeState::WaitingPayment,
            IntakeState::NeedsMapping,
            IntakeState::NeedsReview,
            IntakeState::Ordered,
            IntakeState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}
