//! Virtual MFA devices: RFC 6238 TOTP (HMAC-SHA-1, 30-second steps, 6 digits),
//! seeds sealed under the root key, two consecutive codes to enable, and no code
//! accepted twice.

use aws_lc_rs::{constant_time, hmac};
use mlguard_wire::iam as w;
use mlguard_wire::{SensitiveBlob, Timestamp};
use zeroize::Zeroizing;

use super::model::{Kind, MfaDevice, Tag};
use super::{Iam, Out, already_exists, delete_conflict, internal, no_such_entity, page, wire_tags};
use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;

const STEP: i64 = 30;
const SEED_BYTES: usize = 40;

/// RFC 4648 Base32 without padding (a 40-byte seed is 64 characters).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = usize::try_from((buffer >> bits) & 31).unwrap_or(0);
            out.extend(ALPHABET.get(index).map(|c| char::from(*c)));
        }
    }
    if bits > 0 {
        let index = usize::try_from((buffer << (5 - bits)) & 31).unwrap_or(0);
        out.extend(ALPHABET.get(index).map(|c| char::from(*c)));
    }
    out
}

/// The six-digit TOTP code of `seed` at time step `step`.
pub fn totp(seed: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u32::from_be_bytes(b) & 0x7fff_ffff);
    format!("{:06}", word % 1_000_000)
}

fn code_matches(seed: &[u8], step: i64, code: &str) -> bool {
    constant_time::verify_slices_are_equal(totp(seed, step).as_bytes(), code.as_bytes()).is_ok()
}

fn invalid_code() -> ApiError {
    ApiError::new(
        403,
        "InvalidAuthenticationCode",
        "Authentication code for device is not valid.",
    )
}

fn no_device(serial: &str) -> ApiError {
    no_such_entity(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

impl Iam {
    fn seed(&self, serial: &str) -> Result<Zeroizing<Vec<u8>>, ApiError> {
        let record = self
            .store
            .get("iam.mfa", serial)
            .map_err(internal)?
            .ok_or_else(|| no_device(serial))?;
        let sealed = record
            .sealed
            .ok_or_else(|| internal("MFA device without a seed"))?;
        let seed = self
            .root_key
            .open(Self::seal_purpose("mfa", serial).as_bytes(), &sealed)
            .map_err(internal)?;
        Ok(Zeroizing::new(seed.to_vec()))
    }

    fn put_device(&self, device: &MfaDevice, sealed: Option<&[u8]>) -> Result<(), ApiError> {
        let mut inner = self.write_state()?;
        let sealed = match sealed {
            Some(s) => Some(s.to_vec()),
            None => self
                .store
                .get("iam.mfa", &device.serial)
                .map_err(internal)?
                .and_then(|r| r.sealed),
        };
        let doc = serde_json::to_string(device).map_err(internal)?;
        self.store.transaction(|tx| {
            tx.put(
                "iam.mfa",
                &device.serial,
                &self.account_id,
                &doc,
                sealed.as_deref(),
                self.clock.now(),
            )
            .map_err(internal)
        })?;
        inner.mfa.insert(device.serial.clone(), device.clone());
        Ok(())
    }

    /// Checks a TOTP code of the MFA device `serial` enabled for `user` (a code of
    /// the previous, current or next step, never one already used) and records it.
    pub fn verify_mfa(&self, serial: &str, user: &str, code: &str) -> Result<(), ApiError> {
        let failed = || {
            ApiError::new(
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            )
        };
        let device = self
            .read()?
            .mfa
            .get(serial)
            .cloned()
            .filter(|d| d.enabled.is_some())
            .filter(|d| {
                d.user
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(user))
            })
            .ok_or_else(failed)?;
        let seed = self.seed(serial)?;
        let now = self.clock.now().div_euclid(STEP);
        let step = (now - 1..=now + 1)
            .find(|s| code_matches(&seed, *s, code))
            .ok_or_else(failed)?;
        if device.last_step.is_some_and(|last| step <= last) {
            return Err(failed());
        }
        let mut used = device;
        used.last_step = Some(step);
        self.put_device(&used, None)
    }

    pub(crate) fn create_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        req: w::CreateVirtualMFADeviceRequest,
    ) -> Out<w::CreateVirtualMFADeviceResponse> {
        let path = req.path.unwrap_or_else(|| "/".into());
        let name = req.virtual_mfa_device_name.unwrap_or_default();
        let serial = self.arn("mfa", &path, &name);
        let tags = req.tags.unwrap_or_default();
        self.allow(ctx, "iam:CreateVirtualMFADevice", &serial, &|c| {
            super::request_tags(c, &tags)
        })?;
        if self.read()?.mfa.contains_key(&serial) {
            return Err(already_exists(
                "MFADevice entity at the same path and name already exists.",
            ));
        }
        let seed = mlguard_crypto::random::secret_bytes(SEED_BYTES).map_err(internal)?;
        let sealed = self
            .root_key
            .seal(Self::seal_purpose("mfa", &serial).as_bytes(), &seed)
            .map_err(internal)?;
        let device = MfaDevice {
            serial: serial.clone(),
            user: None,
            enabled: None,
            created: self.clock.now(),
            last_step: None,
            tags: tags
                .iter()
                .map(|t| Tag {
                    key: t.key.clone().unwrap_or_default(),
                    value: t.value.clone().unwrap_or_default(),
                })
                .collect(),
        };
        self.put_device(&device, Some(&sealed))?;
        let secret = Zeroizing::new(base32(&seed));
        // AWS's form: otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String
        // (the account's id, as no user is attached yet).
        let uri = Zeroizing::new(format!(
            "otpauth://totp/{name}@{}?secret={}",
            self.account_id, *secret
        ));
        let qr = super::qr::png(&uri).map_err(internal)?;
        Ok((
            w::CreateVirtualMFADeviceResponse {
                virtual_mfa_device: Some(w::VirtualMFADevice {
                    serial_number: Some(serial),
                    base32_string_seed: Some(SensitiveBlob(Zeroizing::new(
                        secret.as_bytes().to_vec(),
                    ))),
                    qr_code_png: Some(SensitiveBlob(qr)),
                    user: None,
                    enable_date: None,
                    tags: (!device.tags.is_empty()).then(|| wire_tags(&device.tags)),
                }),
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn enable_mfa_device(
        &self,
        ctx: &RequestContext,
        req: w::EnableMFADeviceRequest,
    ) -> Out<()> {
        let user = Self::entity(
            &*self.read()?,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
        )?;
        self.allow(ctx, "iam:EnableMFADevice", &user.arn, &|_| {})?;
        let serial = req.serial_number.unwrap_or_default();
        let device = self
            .read()?
            .mfa
            .get(&serial)
            .cloned()
            .ok_or_else(|| no_device(&serial))?;
        if device.enabled.is_some() {
            return Err(already_exists("MFA Device is already in use."));
        }
        let seed = self.seed(&serial)?;
        let (c1, c2) = (
            req.authentication_code1.unwrap_or_default(),
            req.authentication_code2.unwrap_or_default(),
        );
        // Two consecutive codes, the second at most a step from now.
        let now = self.clock.now().div_euclid(STEP);
        let step = (now - 1..=now + 1)
            .find(|s| code_matches(&seed, *s - 1, &c1) && code_matches(&seed, *s, &c2))
            .ok_or_else(invalid_code)?;
        let mut enabled = device;
        enabled.user = Some(user.name.clone());
        enabled.enabled = Some(self.clock.now());
        enabled.last_step = Some(step);
        self.put_device(&enabled, None)?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn deactivate_mfa_device(
        &self,
        ctx: &RequestContext,
        req: w::DeactivateMFADeviceRequest,
    ) -> Out<()> {
        let serial = req.serial_number.unwrap_or_default();
        let missing = || {
            no_such_entity(format!(
                "MFA Device with serial number {serial} does not exist."
            ))
        };
        let device = self.read()?.mfa.get(&serial).cloned().ok_or_else(missing)?;
        let owner = device.user.clone().ok_or_else(missing)?;
        if req
            .user_name
            .as_deref()
            .is_some_and(|u| !u.eq_ignore_ascii_case(&owner))
        {
            return Err(missing());
        }
        let user = Self::entity(&*self.read()?, Kind::User, &owner)?;
        self.allow(ctx, "iam:DeactivateMFADevice", &user.arn, &|_| {})?;
        let mut off = device;
        off.user = None;
        off.enabled = None;
        self.put_device(&off, None)?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn list_mfa_devices(
        &self,
        ctx: &RequestContext,
        req: w::ListMFADevicesRequest,
    ) -> Out<w::ListMFADevicesResponse> {
        let name = match (req.user_name, &ctx.caller.username) {
            (Some(n), _) => Some(n),
            (None, n) => n.clone(),
        };
        let user = match &name {
            Some(n) => Some(Self::entity(&*self.read()?, Kind::User, n)?),
            None => None,
        };
        let resource = user
            .as_ref()
            .map_or_else(|| ctx.caller.arn.clone(), |u| u.arn.clone());
        self.allow(ctx, "iam:ListMFADevices", &resource, &|_| {})?;
        let items: Vec<(String, w::MFADevice)> = self
            .read()?
            .mfa
            .values()
            .filter_map(|d| {
                let owner = d.user.as_ref()?;
                let wanted = user
                    .as_ref()
                    .is_none_or(|u| u.name.eq_ignore_ascii_case(owner));
                wanted.then(|| {
                    (
                        d.serial.clone(),
                        w::MFADevice {
                            user_name: Some(owner.clone()),
                            serial_number: Some(d.serial.clone()),
                            enable_date: d.enabled.map(Timestamp::from_unix),
                        },
                    )
                })
            })
            .collect();
        let (devices, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        Ok((
            w::ListMFADevicesResponse {
                mfa_devices: Some(devices),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn list_virtual_mfa_devices(
        &self,
        ctx: &RequestContext,
        req: w::ListVirtualMFADevicesRequest,
    ) -> Out<w::ListVirtualMFADevicesResponse> {
        self.allow(ctx, "iam:ListVirtualMFADevices", "*", &|_| {})?;
        let status = req.assignment_status.as_deref().unwrap_or("Any");
        let inner = self.read()?;
        let items: Vec<(String, w::VirtualMFADevice)> = inner
            .mfa
            .values()
            .filter(|d| match status {
                "Assigned" => d.enabled.is_some(),
                "Unassigned" => d.enabled.is_none(),
                _ => true,
            })
            .map(|d| {
                let user = d
                    .user
                    .as_ref()
                    .and_then(|u| inner.users.get(&u.to_ascii_lowercase()))
                    .map(|u| super::entities::wire_user(u, false));
                (
                    d.serial.clone(),
                    w::VirtualMFADevice {
                        serial_number: Some(d.serial.clone()),
                        base32_string_seed: None,
                        qr_code_png: None,
                        user,
                        enable_date: d.enabled.map(Timestamp::from_unix),
                        tags: (!d.tags.is_empty()).then(|| wire_tags(&d.tags)),
                    },
                )
            })
            .collect();
        let (devices, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        Ok((
            w::ListVirtualMFADevicesResponse {
                virtual_mfa_devices: Some(devices),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn delete_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        req: w::DeleteVirtualMFADeviceRequest,
    ) -> Out<()> {
        let serial = req.serial_number.unwrap_or_default();
        self.allow(ctx, "iam:DeleteVirtualMFADevice", &serial, &|_| {})?;
        let mut inner = self.write_state()?;
        let device = inner.mfa.get(&serial).ok_or_else(|| no_device(&serial))?;
        if device.enabled.is_some() {
            return Err(delete_conflict(
                "MFA VirtualDevice in use. Must deactivate first.",
            ));
        }
        self.store.transaction(|tx| {
            tx.delete("iam.mfa", &serial).map_err(internal)?;
            Ok::<(), ApiError>(())
        })?;
        inner.mfa.remove(&serial);
        Ok(((), AuditInfo::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 seed, 8 digits truncated to the last 6.
        let seed = b"12345678901234567890";
        assert_eq!(totp(seed, 59 / 30), "287082");
        assert_eq!(totp(seed, 1_111_111_109 / 30), "081804");
        assert_eq!(totp(seed, 1_234_567_890 / 30), "005924");
        assert_eq!(totp(seed, 2_000_000_000 / 30), "279037");
    }

    #[test]
    fn base32_is_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b""), "");
        assert_eq!(base32(&[0u8; 40]).len(), 64);
    }
}
