//! RotateSecret and the rotations it (and the scheduler) starts: the AWSPENDING
//! version, the four steps in the background, the schedule. The functions
//! themselves are in `rotation.rs`.

use std::sync::Arc;

use mlguard_policy::ContextValue;
use mlguard_wire::secretsmanager as w;

use super::model::{Rotation, Secret};
use super::ops::{Value, audit, require_token};
use super::rotation::{self, Function, FunctionCredentials, Runner};
use super::stages::{self, CURRENT, PENDING, Version};
use super::{Out, Secrets, internal, invalid_request, marked_for_deletion, password};
use crate::context::{PrincipalPolicies, RequestContext};
use crate::error::ApiError;
use crate::identity::Caller;

const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

/// A failed rotation is tried again ("That rotation will be reattempted"): this many
/// attempts in all, the first retry a minute after the failure, each later one
/// twice as long after the one before.
const ATTEMPTS: u32 = 5;
const FIRST_RETRY_SECS: i64 = 60;

fn cannot_invoke() -> ApiError {
    ApiError::bad_request(
        "AccessDeniedException",
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.",
    )
}

impl Secrets {
    /// The registered function a Lambda ARN names.
    fn function_of(&self, arn: &str, secret: &Secret) -> Option<&Function> {
        rotation::function_name(arn, &secret.region, &secret.account)
            .and_then(|name| self.functions.get(name))
    }

    pub(crate) fn rotate_secret(
        &self,
        ctx: &RequestContext,
        req: w::RotateSecretRequest,
    ) -> Out<w::RotateSecretResponse> {
        let token = require_token(
            req.client_request_token.as_ref(),
            "InvalidParameterException",
        )?;
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "RotateSecret",
        )?;
        let lambda = req
            .rotation_lambda_arn
            .clone()
            .or_else(|| secret.rotation.as_ref().map(|r| r.lambda_arn.clone()));
        self.allow(ctx, "RotateSecret", Some(&secret), &secret.arn, &|c| {
            if let Some(l) = &lambda {
                c.insert(
                    "secretsmanager:RotationLambdaARN",
                    ContextValue::string(l.as_str()),
                );
            }
        })?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let (after_days, schedule, duration) = match &req.rotation_rules {
            Some(r) => (
                r.automatically_after_days,
                r.schedule_expression.clone(),
                r.duration.clone(),
            ),
            None => secret.rotation.as_ref().map_or((None, None, None), |r| {
                (r.after_days, r.schedule.clone(), r.duration.clone())
            }),
        };
        let plan = super::schedule::parse(after_days, schedule.as_deref())?;
        let Some(lambda) = lambda else {
            return Err(invalid_request(
                "No Lambda rotation function ARN is associated with this secret.",
            ));
        };
        if self.function_of(&lambda, &secret).is_none() {
            // As on AWS, a function that cannot be invoked leaves no settings behind.
            return Err(cannot_invoke());
        }
        let immediately = req.rotate_immediately.unwrap_or(true);
        let _guard = self.write.lock().map_err(internal)?;
        let mut latest = self.latest(&secret)?;
        self.stage_pending(&mut latest, &token)?;
        let mut test_values = Vec::new();
        if !immediately {
            // AWS tests the configuration instead: testSecret runs against an
            // AWSPENDING copy of the current value, which is then removed.
            if let Some(current) = stages::holder(&latest.versions, CURRENT).map(str::to_string) {
                let value = self.decrypt(ctx, &latest, &current)?;
                let (key_arn, stored, sealed) = self.encrypt(ctx, &latest, &token, &value)?;
                if let Some(v) = latest.versions.get_mut(&token) {
                    v.key_arn = Some(key_arn);
                }
                test_values.push((token.clone(), stored, sealed));
            }
        }
        let now = self.clock.now();
        let previous = latest.rotation.take().unwrap_or_default();
        latest.rotation = Some(Rotation {
            lambda_arn: lambda,
            enabled: true,
            after_days,
            schedule,
            duration,
            last_rotated: previous.last_rotated,
            failures: 0,
            retry_at: None,
            next_rotation: plan.and_then(|p| p.next(previous.last_rotated.unwrap_or(now))),
        });
        let saved = self.save(latest, &test_values, &[])?;
        drop(_guard);
        self.spawn_rotation(&saved.arn, &token, !immediately);
        Ok((
            w::RotateSecretResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
                version_id: immediately.then_some(token),
            },
            audit(&saved),
        ))
    }

    /// Adds the value-less AWSPENDING version a rotation fills, refusing while an
    /// earlier rotation's AWSPENDING is still on another version than AWSCURRENT.
    fn stage_pending(&self, secret: &mut Secret, token: &str) -> Result<(), ApiError> {
        if let Some(pending) = stages::holder(&secret.versions, PENDING)
            && pending != token
            && Some(pending) != stages::holder(&secret.versions, CURRENT)
        {
            return Err(invalid_request(
                "A previous rotation isn't complete. That rotation will be reattempted.",
            ));
        }
        if !secret.versions.contains_key(token) {
            secret.versions.insert(
                token.to_string(),
                Version {
                    stages: Vec::new(),
                    created: self.clock.now(),
                    seq: secret.next_seq,
                    last_accessed: None,
                    key_arn: None,
                },
            );
            secret.next_seq += 1;
        }
        let labels = [PENDING.to_string()];
        stages::label_new(&mut secret.versions, token, Some(&labels));
        Ok(())
    }

    /// Runs a rotation's four steps on a thread of its own (as AWS rotates
    /// asynchronously). At most one rotation of a secret runs at a time.
    fn spawn_rotation(&self, arn: &str, token: &str, test_only: bool) {
        let Some(me) = self.me.get().and_then(std::sync::Weak::upgrade) else {
            tracing::warn!("rotation of {arn} not started: the server is not listening yet");
            return;
        };
        if let Ok(mut running) = self.rotating.lock()
            && !running.insert(arn.to_string())
        {
            return;
        }
        let (owned_arn, owned_token) = (arn.to_string(), token.to_string());
        let spawned = std::thread::Builder::new()
            .name("rotation".into())
            .spawn(move || {
                me.audit_rotation("RotationStarted", &owned_arn, None);
                let outcome = if test_only {
                    me.test_rotation(&owned_arn, &owned_token)
                } else {
                    me.rotate(&owned_arn, &owned_token)
                };
                match outcome {
                    Ok(()) => me.audit_rotation("RotationSucceeded", &owned_arn, None),
                    Err(e) => {
                        tracing::warn!(secret = %owned_arn, "rotation failed: {}", e.code);
                        me.audit_rotation("RotationFailed", &owned_arn, Some(&e));
                        if !test_only {
                            me.schedule_retry(&owned_arn);
                        }
                    }
                }
                if let Ok(mut running) = me.rotating.lock() {
                    running.remove(&owned_arn);
                }
            });
        if spawned.is_err()
            && let Ok(mut running) = self.rotating.lock()
        {
            running.remove(arn);
        }
    }

    /// Notes a failed attempt; the scheduler tries again later, up to [`ATTEMPTS`].
    fn schedule_retry(&self, arn: &str) {
        let now = self.clock.now();
        let noted = self.by_arn(arn).and_then(|secret| {
            self.modify(&secret, |latest| {
                if let Some(r) = &mut latest.rotation {
                    r.failures = r.failures.saturating_add(1);
                    r.retry_at = (r.failures < ATTEMPTS).then(|| {
                        now + FIRST_RETRY_SECS * (1_i64 << r.failures.saturating_sub(1).min(20))
                    });
                }
                Ok(())
            })
        });
        if let Err(e) = noted {
            tracing::warn!(secret = %arn, "rotation retry not scheduled: {}", e.code);
        }
    }

    /// A rotation's service event, as CloudTrail records Secrets Manager's own
    /// (`AwsServiceEvent`, invoked by the service, `additionalEventData.SecretId`).
    fn audit_rotation(&self, name: &str, arn: &str, error: Option<&ApiError>) {
        let Some(hook) = self.audit.get() else { return };
        let region = arn.split(':').nth(3).unwrap_or_default();
        let mut identity =
            mlguard_audit::UserIdentity::new(mlguard_audit::IdentityType::AwsService);
        identity.account_id = Some(self.account_id.clone());
        identity.invoked_by = Some("secretsmanager.amazonaws.com".into());
        let mut event =
            mlguard_audit::Event::new("secretsmanager.amazonaws.com", name, region, identity);
        event.event_time = mlguard_audit::OffsetDateTime::from_unix_timestamp(self.clock.now())
            .unwrap_or(mlguard_audit::OffsetDateTime::UNIX_EPOCH);
        event.event_type = "AwsServiceEvent".into();
        event.source_ip_address = "secretsmanager.amazonaws.com".into();
        event.user_agent = "secretsmanager.amazonaws.com".into();
        event.additional_event_data = Some(mlguard_audit::RedactedJson::new(
            serde_json::json!({ "SecretId": arn }),
            &[],
        ));
        event.resources = Some(vec![mlguard_audit::Resource {
            arn: arn.to_string(),
            account_id: Some(self.account_id.clone()),
            resource_type: Some("AWS::SecretsManager::Secret".into()),
        }]);
        if let Some(e) = error {
            event.error_code = Some(e.code.clone());
            event.error_message = e.message.clone();
        }
        hook(event);
    }

    /// RotateImmediately=false: testSecret alone, then the AWSPENDING copy goes.
    fn test_rotation(&self, arn: &str, token: &str) -> Result<(), ApiError> {
        let outcome = self.run_steps(arn, token, &["testSecret"]);
        let _guard = self.write.lock().map_err(internal)?;
        let mut latest = self.by_arn(arn).map(|s| (*s).clone())?;
        if latest.versions.remove(token).is_some() {
            self.save(latest, &[], &[token.to_string()])?;
        }
        outcome
    }

    /// The four steps, then the bookkeeping of a finished rotation.
    fn rotate(&self, arn: &str, token: &str) -> Result<(), ApiError> {
        self.run_steps(arn, token, &STEPS)?;
        self.finish(arn, token)
    }

    /// Runs `steps` of the secret's rotation function.
    fn run_steps(&self, arn: &str, token: &str, steps: &[&str]) -> Result<(), ApiError> {
        let secret = self.by_arn(arn)?;
        let rotation = secret
            .rotation
            .clone()
            .ok_or_else(|| internal("no rotation"))?;
        let function = self
            .function_of(&rotation.lambda_arn, &secret)
            .cloned()
            .ok_or_else(cannot_invoke)?;
        let credentials = match &function.role {
            Some(role) => {
                let (access_key_id, secret_key, session) = self.sts.service_session(
                    role,
                    &format!("rotation-{}", &token.get(..8).unwrap_or(token)),
                    "lambda.amazonaws.com",
                    900,
                )?;
                Some(FunctionCredentials {
                    access_key_id,
                    secret: secret_key,
                    token: session,
                })
            }
            None => None,
        };
        for &step in steps {
            match &function.runner {
                Runner::RandomPassword => self.builtin_step(step, arn, token, false)?,
                Runner::Postgres => self.builtin_step(step, arn, token, true)?,
                _ => {
                    let endpoint = self
                        .endpoint
                        .get()
                        .cloned()
                        .ok_or_else(|| internal("no endpoint for rotation functions"))?;
                    let rotation_token = mlguard_crypto::random::id_uuid().map_err(internal)?;
                    let event = serde_json::json!({
                        "Step": step,
                        "SecretId": arn,
                        "ClientRequestToken": token,
                        "RotationToken": rotation_token,
                    });
                    rotation::run_external(
                        &function,
                        &rotation.lambda_arn,
                        &event,
                        &secret.region,
                        &endpoint,
                        credentials.as_ref(),
                    )
                    .map_err(|e| {
                        let message = format!(
                            "{} (step {step})",
                            e.message
                                .as_deref()
                                .unwrap_or_default()
                                .trim_end_matches('.')
                        );
                        ApiError::bad_request(e.code, message)
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Done: the new version is AWSCURRENT; AWSPENDING goes, and the schedule moves.
    fn finish(&self, arn: &str, token: &str) -> Result<(), ApiError> {
        let _guard = self.write.lock().map_err(internal)?;
        let mut latest = self.by_arn(arn).map(|s| (*s).clone())?;
        if stages::holder(&latest.versions, CURRENT) != Some(token) {
            return Err(internal(
                "the rotation function did not make the new version current",
            ));
        }
        if let Some(v) = latest.versions.get_mut(token) {
            v.stages.retain(|s| s != PENDING);
        }
        let now = self.clock.now();
        if let Some(r) = &mut latest.rotation {
            r.last_rotated = Some(now);
            r.failures = 0;
            r.retry_at = None;
            r.next_rotation = super::schedule::parse(r.after_days, r.schedule.as_deref())
                .ok()
                .flatten()
                .and_then(|p| p.next(now));
        }
        self.save(latest, &[], &[])?;
        Ok(())
    }

    /// The built-in random-password function: a new password in createSecret
    /// (the `password` member of a JSON value, else the whole value), nothing to
    /// set or test elsewhere, and AWSCURRENT moved in finishSecret.
    fn builtin_step(
        &self,
        step: &str,
        arn: &str,
        token: &str,
        database: bool,
    ) -> Result<(), ApiError> {
        let secret = self.by_arn(arn)?;
        let ctx = self.service_context(&secret);
        let value_of = |stage: &str| -> Result<Option<Value>, ApiError> {
            match stages::holder(&secret.versions, stage) {
                Some(id) => self.decrypt(&ctx, &secret, id).map(Some),
                None => Ok(None),
            }
        };
        match step {
            "setSecret" if database => {
                let pending = self.decrypt(&ctx, &secret, token)?;
                let current = value_of(CURRENT)?
                    .ok_or_else(|| invalid_request("The secret has no AWSCURRENT value."))?;
                let previous = value_of(stages::PREVIOUS)?;
                let previous = match &previous {
                    Some(p) => super::postgres::parse(step, &p.1).ok(),
                    None => None,
                };
                super::postgres::set_secret(
                    &super::postgres::parse(step, &pending.1)?,
                    &super::postgres::parse(step, &current.1)?,
                    previous.as_ref(),
                )
            }
            "testSecret" if database => {
                let pending = self.decrypt(&ctx, &secret, token)?;
                super::postgres::test_secret(&super::postgres::parse(step, &pending.1)?)
            }
            "createSecret" => {
                if secret
                    .versions
                    .get(token)
                    .is_some_and(|v| v.key_arn.is_some())
                {
                    return Ok(());
                }
                let current = stages::holder(&secret.versions, CURRENT)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        invalid_request("The secret has no AWSCURRENT value to rotate.")
                    })?;
                let (binary, old) = self.decrypt(&ctx, &secret, &current)?;
                if database {
                    super::postgres::parse(step, &old)?;
                }
                let options = password::Options {
                    exclude_characters: "/@\"'\\".into(),
                    ..password::Options::default()
                };
                let fresh = password::generate(&options)?;
                let text = std::str::from_utf8(&old).ok();
                let new_value = match text
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                {
                    Some(serde_json::Value::Object(mut map)) if map.contains_key("password") => {
                        map.insert(
                            "password".into(),
                            serde_json::Value::String(fresh.to_string()),
                        );
                        mlguard_crypto::Zeroizing::new(serde_json::to_vec(&map).map_err(internal)?)
                    }
                    _ => mlguard_crypto::Zeroizing::new(fresh.as_bytes().to_vec()),
                };
                let value: Value = (binary && text.is_none(), new_value);
                let _guard = self.write.lock().map_err(internal)?;
                let mut latest = self.latest(&secret)?;
                let labels = [PENDING.to_string()];
                let (values, pruned) =
                    self.add_version(&ctx, &mut latest, token, &value, Some(&labels))?;
                self.save(latest, &values, &pruned)?;
                Ok(())
            }
            "finishSecret" => {
                let _guard = self.write.lock().map_err(internal)?;
                let mut latest = self.latest(&secret)?;
                let current = stages::holder(&latest.versions, CURRENT).map(str::to_string);
                if current.as_deref() == Some(token) {
                    return Ok(());
                }
                stages::move_label(
                    &mut latest.versions,
                    CURRENT,
                    Some(token),
                    current.as_deref(),
                )?;
                latest.last_changed = self.clock.now();
                self.save(latest, &[], &[])?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The context the service acts in for itself (the built-in function): the
    /// account, as AWS's service principal acts for it.
    fn service_context(&self, secret: &Secret) -> RequestContext {
        RequestContext {
            request_id: String::new(),
            caller: Arc::new(Caller::root(&secret.account)),
            access_key_id: String::new(),
            region: secret.region.clone(),
            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            user_agent: "secretsmanager.amazonaws.com".into(),
            secure_transport: true,
            tls: None,
            now: self.clock.now(),
            protocol: crate::protocol::Protocol::Json,
            operation: "RotateSecret".into(),
            policies: Arc::new(PrincipalPolicies::default()),
        }
    }

    /// The secrets not marked for deletion, with no rotation running, whose
    /// rotation settings satisfy `keep`.
    fn rotation_candidates(
        &self,
        keep: impl Fn(&Rotation) -> bool,
    ) -> Result<Vec<Arc<Secret>>, ApiError> {
        let running = self.rotating.lock().map_err(internal)?.clone();
        Ok(self
            .state
            .read()
            .map_err(internal)?
            .values()
            .filter(|s| {
                s.deleted.is_none()
                    && !running.contains(&s.arn)
                    && s.rotation.as_ref().is_some_and(&keep)
            })
            .cloned()
            .collect())
    }

    /// Starts the rotations that are due, and the failed ones whose retry has come
    /// (the scheduler calls this).
    pub(super) fn start_due_rotations(&self, now: i64) -> Result<(), ApiError> {
        for secret in self.rotation_candidates(|r| r.retry_at.is_some_and(|t| t <= now))? {
            let pending = stages::holder(&secret.versions, PENDING)
                .filter(|p| Some(*p) != stages::holder(&secret.versions, CURRENT))
                .map(str::to_string);
            self.modify(&secret, |latest| {
                if let Some(r) = &mut latest.rotation {
                    r.retry_at = None;
                }
                Ok(())
            })?;
            if let Some(token) = pending {
                self.spawn_rotation(&secret.arn, &token, false);
            }
        }
        // A failed rotation is retried on its own schedule, above.
        let due = self.rotation_candidates(|r| {
            r.enabled && r.failures == 0 && r.next_rotation.is_some_and(|n| n <= now)
        })?;
        for secret in due {
            let token = mlguard_crypto::random::id_uuid().map_err(internal)?;
            let staged = {
                let _guard = self.write.lock().map_err(internal)?;
                let mut latest = self.latest(&secret)?;
                match self.stage_pending(&mut latest, &token) {
                    Ok(()) => self.save(latest, &[], &[]).map(|_| true)?,
                    // An unfinished rotation: it is tried again with its own token.
                    Err(_) => false,
                }
            };
            if staged {
                self.spawn_rotation(&secret.arn, &token, false);
            } else if let Some(pending) = stages::holder(&secret.versions, PENDING) {
                self.spawn_rotation(&secret.arn, pending, false);
            }
        }
        Ok(())
    }
}
