//! A PostgreSQL SCRAM-SHA-256 password verifier, computed here so `ALTER ROLE` sends the
//! verifier and never the password: PostgreSQL's documentation of `CREATE ROLE` warns
//! that a plain password "will be transmitted to the server in cleartext, and it might
//! also be logged in the client's command history or the server log"; psql's `\password`
//! and libpq's `PQencryptPasswordConn` send a verifier for that reason.
//!
//! The format is PostgreSQL's (`src/common/scram-common.c`, `scram_build_secret`):
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64, with
//! `SaltedPassword = Hi(password, salt, iterations)` (RFC 5802, PBKDF2 with
//! HMAC-SHA-256), `StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key"))` and
//! `ServerKey = HMAC(SaltedPassword, "Server Key")`. PostgreSQL applies SASLprep to the
//! password first, which leaves printable ASCII unchanged; [`verifier`] therefore takes
//! printable ASCII only, and its caller sends any other password as it is.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// PostgreSQL's default iteration count (`scram_iterations`, 4096).
pub(crate) const ITERATIONS: u32 = 4096;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// RFC 5802's `Hi()`: PBKDF2-HMAC-SHA-256 with one output block.
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &first);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        out.iter_mut().zip(u.iter()).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// The verifier of `password` with `salt` (16 random bytes in use), or `None` when the
/// password is not printable ASCII (where SASLprep could change it).
pub(crate) fn verifier(password: &str, salt: &[u8], iterations: u32) -> Option<String> {
    if password.is_empty() || !password.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let salted = hi(password.as_bytes(), salt, iterations);
    let stored = Sha256::digest(hmac(&salted, b"Client Key"));
    let server = hmac(&salted, b"Server Key");
    let b64 = base64::engine::general_purpose::STANDARD;
    Some(format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        b64.encode(salt),
        b64.encode(stored),
        b64.encode(server)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's SCRAM-SHA-256 example: user `user`, password `pencil`, salt
    /// `W22ZaJ0SNY7soEsUEjb6gQ==`, 4096 iterations. The server's proof there is
    /// `ServerSignature = HMAC(ServerKey, AuthMessage)`; checking it checks ServerKey, and
    /// the client proof checks StoredKey.
    #[test]
    fn matches_rfc_7677() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let salt = b64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = verifier("pencil", &salt, 4096).unwrap();
        let (_, keys) = v.rsplit_once('$').unwrap();
        let (stored, server) = keys.split_once(':').unwrap();
        let auth = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let signature = hmac(&b64.decode(server).unwrap(), auth.as_bytes());
        assert_eq!(
            b64.encode(signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        // ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage); ClientKey hashes to
        // StoredKey.
        let proof = b64
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .unwrap();
        let client_sig = hmac(&b64.decode(stored).unwrap(), auth.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(client_sig).map(|(a, b)| a ^ b).collect();
        assert_eq!(b64.encode(Sha256::digest(&client_key)), stored);
    }

    #[test]
    fn refuses_what_saslprep_could_change() {
        assert!(verifier("pässword", b"salt", 1).is_none());
        assert!(verifier("tab\there", b"salt", 1).is_none());
        assert!(verifier("", b"salt", 1).is_none());
        assert!(verifier("url-safe_Z09", b"salt", 1).is_some());
    }
}
