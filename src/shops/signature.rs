//! HMAC-SHA256 signatures as Shopify and WooCommerce send them (base64 of
//! the MAC of the raw body) and as printfarm signs its callbacks.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(body);
    mac
}

/// The base64 signature of `body` with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, body).finalize().into_bytes())
}

/// True when `header` (base64) is the signature of `body`; compared in
/// constant time.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    match STANDARD.decode(header.trim()) {
        Ok(given) => mac(secret, body).verify_slice(&given).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{sign, verify};

    #[test]
    fn a_signature_verifies_only_for_its_body_and_secret() {
        let body = br#"{"id":820982911946154508}"#;
        let header = sign("hush", body);
        assert!(verify("hush", body, &header));
        assert!(verify("hush", body, &format!(" {header}\n")));
        assert!(!verify("other", body, &header));
        assert!(!verify("hush", br#"{"id":820982911946154509}"#, &header));
        assert!(!verify("hush", body, "not base64!"));
        assert!(!verify("hush", body, ""));
    }

    #[test]
    fn the_signature_is_base64_of_hmac_sha256() {
        // RFC 4231, test case 2, in base64.
        let expected = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";
        assert_eq!(sign("Jefe", b"what do ya want for nothing?"), expected);
    }
}
