//! Validation of the client's `CallConfig` into a [`CallSpec`]; every rejection names the field
//! and says what to send instead.

use callassist_inference::audio::AudioEncoding;
use callassist_proto::v1::{self as pb, Role};

use crate::error::CallError;

/// The audio side of a call.
#[derive(Clone, Debug)]
pub struct AudioSpec {
    pub encoding: AudioEncoding,
    pub sample_rate: u32,
    /// Role of each channel, by index.
    pub roles: Vec<Role>,
}

/// A validated call configuration.
#[derive(Clone, Debug)]
pub struct CallSpec {
    pub call_id: String,
    pub tenant_id: String,
    pub agent_id: String,
    /// First language hint, if any ("en", "zh").
    pub language: Option<String>,
    /// `None` for a text-only call.
    pub audio: Option<AudioSpec>,
    pub interim_results: bool,
    /// Packs whose rules apply (empty = all of the tenant's).
    pub packs: Vec<String>,
}

fn invalid(msg: impl Into<String>) -> CallError {
    CallError::Invalid(msg.into())
}

/// Whether `s` is a valid call or tenant id: 1-128 characters of A-Z a-z 0-9 . _ : -
pub(crate) fn valid_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

/// Checks `cfg`; assigns a call id when the client left it empty.
pub fn validate(cfg: &pb::CallConfig) -> Result<CallSpec, CallError> {
    let call_id = if cfg.call_id.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else if valid_id(&cfg.call_id) {
        cfg.call_id.clone()
    } else {
        return Err(invalid(format!(
            "config.call_id {:?} is invalid: use 1-128 characters of A-Z a-z 0-9 . _ : -",
            cfg.call_id
        )));
    };
    let tenant_id = if cfg.tenant_id.is_empty() {
        "default".to_string()
    } else if valid_id(&cfg.tenant_id) {
        cfg.tenant_id.clone()
    } else {
        return Err(invalid(format!(
            "config.tenant_id {:?} is invalid: use 1-128 characters of A-Z a-z 0-9 . _ : -",
            cfg.tenant_id
        )));
    };
    let language = match cfg.language_codes.first() {
        None => None,
        Some(code) => {
            let primary = code
                .split(['-', '_'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_lowercase())
            {
                return Err(invalid(format!(
                    "config.language_codes[0] {code:?} is not a BCP-47 code; use e.g. \"en\" or \"zh-CN\""
                )));
            }
            Some(primary)
        }
    };
    let audio = audio_spec(cfg)?;
    if cfg.pack_ids.len() > 64 {
        return Err(invalid(format!(
            "config.pack_ids has {} entries: name at most 64 packs",
            cfg.pack_ids.len()
        )));
    }
    if let Some(bad) = cfg
        .pack_ids
        .iter()
        .find(|p| !callassist_knowledge::is_valid_pack_id(p))
    {
        return Err(invalid(format!(
            "config.pack_ids contains {bad:?}: pack ids are 1-64 characters of a-z 0-9 -"
        )));
    }
    Ok(CallSpec {
        call_id,
        tenant_id,
        agent_id: cfg.agent_id.clone(),
        language,
        audio,
        interim_results: cfg.interim_results,
        packs: cfg.pack_ids.clone(),
    })
}

fn audio_spec(cfg: &pb::CallConfig) -> Result<Option<AudioSpec>, CallError> {
    let encoding = match pb::AudioEncoding::try_from(cfg.encoding) {
        Ok(pb::AudioEncoding::Linear16) => AudioEncoding::Linear16,
        Ok(pb::AudioEncoding::Mulaw) => AudioEncoding::Mulaw,
        Ok(pb::AudioEncoding::Alaw) => AudioEncoding::Alaw,
        Ok(pb::AudioEncoding::Unspecified) => {
            if cfg.sample_rate_hertz != 0 || cfg.audio_channel_count != 0 {
                return Err(invalid(
                    "config.encoding is AUDIO_ENCODING_UNSPECIFIED but audio settings were given: \
                     set LINEAR16, MULAW or ALAW (or leave sample_rate_hertz and \
                     audio_channel_count at 0 for a text-only call)",
                ));
            }
            return Ok(None);
        }
        Err(_) => {
            return Err(invalid(format!(
                "config.encoding {} is not a known AudioEncoding: use LINEAR16 (1), MULAW (2) or ALAW (3)",
                cfg.encoding
            )));
        }
    };
    if cfg.sample_rate_hertz == 0 {
        return Err(invalid(
            "config.sample_rate_hertz is 0: set the audio's sample rate (8000 or 16000; \
             anything from 4000 to 192000 is resampled)",
        ));
    }
    if !(4_000..=192_000).contains(&cfg.sample_rate_hertz) {
        return Err(invalid(format!(
            "config.sample_rate_hertz {} is out of range: use 4000-192000 (8000 or 16000 preferred)",
            cfg.sample_rate_hertz
        )));
    }
    let channels = match cfg.audio_channel_count {
        0 | 1 => 1usize,
        2 => 2,
        n => {
            return Err(invalid(format!(
                "config.audio_channel_count {n} is not supported: send 1 (mono) or 2 (stereo, one party per channel)"
            )));
        }
    };
    let roles = if cfg.channel_roles.is_empty() {
        if channels == 1 {
            vec![Role::Customer]
        } else {
            vec![Role::Agent, Role::Customer]
        }
    } else {
        if cfg.channel_roles.len() != channels {
            return Err(invalid(format!(
                "config.channel_roles has {} entries for {channels} channel(s): give one role per channel",
                cfg.channel_roles.len()
            )));
        }
        let roles: Vec<Role> = cfg
            .channel_roles
            .iter()
            .map(|&r| match Role::try_from(r) {
                Ok(Role::Agent) => Ok(Role::Agent),
                Ok(Role::Customer) => Ok(Role::Customer),
                _ => Err(invalid(format!(
                    "config.channel_roles contains {r}: each channel must be AGENT (1) or CUSTOMER (2)"
                ))),
            })
            .collect::<Result<_, _>>()?;
        if roles.len() == 2 && roles[0] == roles[1] {
            return Err(invalid(
                "config.channel_roles gives both channels the same role: one channel is AGENT, the other CUSTOMER",
            ));
        }
        roles
    };
    Ok(Some(AudioSpec {
        encoding,
        sample_rate: cfg.sample_rate_hertz,
        roles,
    }))
}

/// Lower-case role name used in ids and messages.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Agent => "agent",
        Role::Customer => "customer",
        Role::Unspecified => "unspecified",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio_cfg() -> pb::CallConfig {
        pb::CallConfig {
            encoding: pb::AudioEncoding::Mulaw as i32,
            sample_rate_hertz: 8000,
            audio_channel_count: 2,
            ..Default::default()
        }
    }

    #[test]
    fn defaults_stereo_roles_and_makes_an_id() {
        let s = validate(&audio_cfg()).unwrap();
        assert!(!s.call_id.is_empty());
        assert_eq!(s.audio.unwrap().roles, vec![Role::Agent, Role::Customer]);
    }

    #[test]
    fn rejections_name_the_field() {
        let mut c = audio_cfg();
        c.sample_rate_hertz = 0;
        assert!(
            validate(&c)
                .unwrap_err()
                .to_string()
                .contains("sample_rate_hertz")
        );
        let mut c = audio_cfg();
        c.encoding = 9;
        assert!(
            validate(&c)
                .unwrap_err()
                .to_string()
                .contains("config.encoding 9")
        );
        let mut c = audio_cfg();
        c.channel_roles = vec![1, 1];
        assert!(validate(&c).unwrap_err().to_string().contains("same role"));
        let mut c = audio_cfg();
        c.call_id = "bad id!".into();
        assert!(validate(&c).unwrap_err().to_string().contains("call_id"));
        let text_only = pb::CallConfig::default();
        assert!(validate(&text_only).unwrap().audio.is_none());
    }
}
