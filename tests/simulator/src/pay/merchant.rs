//! Merchants (商户号) the simulated WeChat Pay knows (wechat-pay.md §1.1): the mchid, the APIv3
//! key, the serial and public key of the merchant API certificate, the AppIDs bound to it, and
//! how WeChat Pay signs for it (public key, platform certificate, or migrating between them).

use super::keys::{self, PlatformKey};
use rsa::RsaPublicKey;
use serde::Deserialize;

/// How WeChat Pay signs answers and notifies for a merchant (§1.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// 微信支付公钥: every signature by the public key; `/v3/certificates` has none.
    #[default]
    PublicKey,
    /// 平台证书: every signature by the platform certificate.
    Certificate,
    /// 灰度切换: answers signed by the key the request's `Wechatpay-Serial` names (the
    /// certificate without one), notifies by either (a ratio setting).
    Migration,
}

impl KeyMode {
    pub fn parse(text: &str) -> Result<KeyMode, String> {
        match text {
            "public_key" | "public-key" => Ok(KeyMode::PublicKey),
            "certificate" => Ok(KeyMode::Certificate),
            "migration" => Ok(KeyMode::Migration),
            other => Err(format!("pay mode must be public_key, certificate or migration, got {other:?}")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyMode::PublicKey => "public_key",
            KeyMode::Certificate => "certificate",
            KeyMode::Migration => "migration",
        }
    }

    /// The key that signs an answer to a request that sent `requested` as `Wechatpay-Serial`.
    pub fn answer_key(self, requested: Option<&str>) -> PlatformKey {
        match self {
            KeyMode::PublicKey => PlatformKey::PublicKey,
            KeyMode::Certificate => PlatformKey::Certificate,
            KeyMode::Migration if requested == Some(keys::PUBLIC_KEY_ID) => PlatformKey::PublicKey,
            KeyMode::Migration => PlatformKey::Certificate,
        }
    }

    /// Whether `/v3/certificates` lists the platform certificate.
    pub fn has_certificate(self) -> bool {
        self != KeyMode::PublicKey
    }
}

/// A merchant as configured (`--mch`, `POST /_sim/pay/merchants`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantConfig {
    pub mchid: String,
    pub apiv3_key: String,
    /// The merchant API certificate's serial (`serial_no` in `Authorization`), upper-case.
    pub serial: String,
    pub public_key_pem: String,
    /// AppIDs bound to the merchant (商户号绑定APPID); empty means every configured app.
    pub appids: Vec<String>,
    pub mode: KeyMode,
    /// The refund notify URL set in the merchant platform (a refund request may override it).
    pub refund_notify_url: Option<String>,
}

impl MerchantConfig {
    /// The CLI form `MCHID:APIV3KEY:SERIAL`; the public key comes from `--mch-public-key`.
    pub fn parse(spec: &str) -> Result<MerchantConfig, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let [mchid, apiv3_key, serial] = parts.as_slice() else {
            return Err(format!("--mch expects MCHID:APIV3KEY:SERIAL, got {spec:?}"));
        };
        let config = MerchantConfig {
            mchid: mchid.to_string(),
            apiv3_key: apiv3_key.to_string(),
            serial: serial.to_ascii_uppercase(),
            public_key_pem: String::new(),
            appids: Vec::new(),
            mode: KeyMode::default(),
            refund_notify_url: None,
        };
        config.check_ids()?;
        Ok(config)
    }

    /// The official test merchant (K-official) with the simulator's APIv3 key.
    pub fn test_merchant() -> MerchantConfig {
        MerchantConfig {
            mchid: keys::TEST_MCHID.into(),
            apiv3_key: keys::TEST_APIV3_KEY.into(),
            serial: keys::TEST_MERCHANT_SERIAL.into(),
            public_key_pem: keys::TEST_MERCHANT_PUBLIC_KEY_PEM.into(),
            appids: Vec::new(),
            mode: KeyMode::default(),
            refund_notify_url: None,
        }
    }

    fn check_ids(&self) -> Result<(), String> {
        if self.mchid.is_empty() || self.mchid.len() > 32 || !self.mchid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("mchid must be digits, got {:?}", self.mchid));
        }
        if self.apiv3_key.len() != 32 {
            return Err(format!("the APIv3 key of {} must be 32 characters, got {}", self.mchid, self.apiv3_key.len()));
        }
        if self.serial.is_empty() || !self.serial.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("the certificate serial of {} must be hex", self.mchid));
        }
        Ok(())
    }

    /// Everything checked, the public key parsed.
    pub fn validate(&self) -> Result<RsaPublicKey, String> {
        self.check_ids()?;
        if self.public_key_pem.trim().is_empty() {
            return Err(format!("merchant {} has no public key (--mch-public-key FILE or public_key_pem)", self.mchid));
        }
        keys::public_key_from_pem(&self.public_key_pem).map_err(|e| format!("merchant {}: {e}", self.mchid))
    }
}

/// A merchant at run time.
#[derive(Clone, Debug)]
pub struct Merchant {
    pub config: MerchantConfig,
    pub public_key: RsaPublicKey,
}

impl Merchant {
    pub fn new(config: MerchantConfig) -> Result<Merchant, String> {
        let public_key = config.validate()?;
        Ok(Merchant { config, public_key })
    }

    /// Whether `appid` is bound to this merchant.
    pub fn binds(&self, appid: &str, all_apps: &[String]) -> bool {
        if self.config.appids.is_empty() {
            all_apps.iter().any(|a| a == appid)
        } else {
            self.config.appids.iter().any(|a| a == appid)
        }
    }
}

/// The WeChat Pay part of the simulator's configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaySetup {
    pub merchants: Vec<MerchantConfig>,
    /// Retry intervals and refund delays are multiplied by this (1.0 = real time; tests use
    /// 0.001 so a day of retries takes under two minutes).
    pub time_scale: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_form_has_three_parts() {
        let m = MerchantConfig::parse("1900007291:simAPIv3Key0123456789abcdefABCDE:408b07e7").unwrap();
        assert_eq!((m.mchid.as_str(), m.serial.as_str()), ("1900007291", "408B07E7"));
        assert!(MerchantConfig::parse("1900007291:short:408B").is_err());
        assert!(MerchantConfig::parse("mch:simAPIv3Key0123456789abcdefABCDE:408B").is_err());
        assert!(MerchantConfig::parse("1900007291:simAPIv3Key0123456789abcdefABCDE").is_err());
        assert!(m.validate().unwrap_err().contains("--mch-public-key"));
    }

    #[test]
    fn migration_answers_with_the_key_asked_for() {
        assert_eq!(KeyMode::Migration.answer_key(Some(keys::PUBLIC_KEY_ID)), PlatformKey::PublicKey);
        assert_eq!(KeyMode::Migration.answer_key(None), PlatformKey::Certificate);
        assert_eq!(KeyMode::PublicKey.answer_key(None), PlatformKey::PublicKey);
        assert_eq!(KeyMode::parse("certificate"), Ok(KeyMode::Certificate));
        assert_eq!(keys::PUBLIC_KEY_ID.len(), "PUB_KEY_ID_".len() + 34);
    }

    #[test]
    fn the_test_merchant_is_valid() {
        assert!(Merchant::new(MerchantConfig::test_merchant()).is_ok());
    }
}
