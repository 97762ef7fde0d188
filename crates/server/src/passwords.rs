//! Password hashing with argon2id. Hashing is deliberately slow, so it runs on the blocking pool
//! where it cannot stall the async workers that serve everyone else.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::PasswordCost;
use crate::error::{ApiError, ApiResult};

fn hasher(cost: PasswordCost) -> ApiResult<Argon2<'static>> {
    let params = match cost {
        PasswordCost::Owasp => {
            Params::new(Params::DEFAULT_M_COST, Params::DEFAULT_T_COST, Params::DEFAULT_P_COST, None)
        }
        PasswordCost::Insecure => Params::new(8, 1, 1, None),
    }
    .map_err(|e| ApiError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A password for an operator to hand over: 24 random bytes, URL-safe base64 (32 characters).
pub fn random_password() -> String {
    use base64::Engine;
    let bytes: [u8; 24] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub async fn hash(password: String, cost: PasswordCost) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        let argon = hasher(cost)?;
        argon
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("argon2 hash: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` matches `phc`. The parameters come from the stored hash, so raising the
/// cost later does not lock anyone out.
pub async fn verify(password: String, phc: String) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else { return Ok(false) };
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("verification task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() -> ApiResult<()> {
        let phc = hash("correct horse".into(), PasswordCost::Insecure).await?;
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), phc.clone()).await?);
        assert!(!verify("wrong horse".into(), phc).await?);
        assert!(!verify("x".into(), "not a hash".into()).await?);
        Ok(())
    }

    #[tokio::test]
    async fn production_cost_meets_owasp() -> ApiResult<()> {
        let phc = hash("correct horse".into(), PasswordCost::Owasp).await?;
        assert!(phc.contains("m=19456,t=2,p=1"), "{phc}");
        Ok(())
    }
}
