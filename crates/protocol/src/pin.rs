//! Certificate pins: a server with a self-signed certificate is known by the SHA-256 of that
//! certificate, which travels inside invite codes. Checking the pin during a handshake is the
//! HTTP client's job; this module only names, prints and reads fingerprints.

use sha2::{Digest, Sha256};

use crate::Error;

/// The SHA-256 of a certificate's DER bytes: what devices pin.
pub type Fingerprint = [u8; 32];

/// The fingerprint of a DER-encoded certificate.
pub fn fingerprint(cert_der: &[u8]) -> Fingerprint {
    Sha256::digest(cert_der).into()
}

/// 64 lowercase hex digits, the form printed by `porchlight serve` and taken by
/// `--fingerprint`.
pub fn format_fingerprint(fp: &Fingerprint) -> String {
    porchlight_model::hex(fp)
}

/// Reads a fingerprint as 64 hex digits, in either case, with or without `:`, `-` or spaces
/// between the bytes (the way browsers and `openssl x509 -fingerprint` show them).
pub fn parse_fingerprint(text: &str) -> Result<Fingerprint, Error> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let bad = || Error::InvalidField {
        field: "certificate fingerprint",
        reason: "expected the 64 hex digits of a SHA-256 fingerprint".into(),
    };
    if digits.len() != 64 || !digits.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_in_the_forms_people_paste() {
        let fp = fingerprint(b"certificate");
        let plain = format_fingerprint(&fp);
        assert_eq!(parse_fingerprint(&plain).unwrap(), fp);
        let colons: Vec<String> = fp.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(parse_fingerprint(&colons.join(":")).unwrap(), fp);
    }

    #[test]
    fn a_short_or_odd_fingerprint_is_rejected_not_panicking() {
        for bad in ["", "abc", &"é".repeat(32), &"zz".repeat(32)] {
            assert!(matches!(
                parse_fingerprint(bad),
                Err(Error::InvalidField { .. })
            ));
        }
    }
}
