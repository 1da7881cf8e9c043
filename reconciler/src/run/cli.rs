//! The `run` subcommand's flags and start-up: config from flags and env (`AVIGW_*`), validated
//! for `Purpose::Run`; credentials read from files; a bad setting stops start-up with one line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use avigw_shared::config::{Config, ConfigFileArgs, Purpose, RawConfig};

use super::{LeaseSettings, Settings};
use crate::avi::{AviClientConfig, Credentials, Secret, TlsOptions};

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config_file: ConfigFileArgs,
    /// Namespace of the leader-election Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub lease_namespace: String,
    /// Name of the leader-election Lease.
    #[arg(long, env = "AVIGW_LEASE_NAME", default_value = "avigw-reconciler")]
    pub lease_name: String,
    /// This replica's identity in the Lease (the pod name in a cluster).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// How long a Lease holds without renewal, in seconds.
    #[arg(long, env = "AVIGW_LEASE_DURATION_SECONDS", default_value_t = 15)]
    pub lease_duration_seconds: u64,
    /// How often the leader renews, in seconds.
    #[arg(long, env = "AVIGW_LEASE_RENEW_SECONDS", default_value_t = 5)]
    pub lease_renew_seconds: u64,
    /// Seconds between full resyncs (re-read Avi, re-check every key); 0 = never.
    #[arg(long, env = "AVIGW_RESYNC_SECONDS", default_value_t = 600)]
    pub resync_seconds: u64,
    #[command(flatten)]
    pub settings: RawConfig,
}

/// A setting that stops start-up, as one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

impl RunArgs {
    pub fn config(&self) -> Result<Config, SetupError> {
        self.config_file
            .load(self.settings.clone(), |p| std::fs::read_to_string(p))
            .and_then(|raw| raw.validate(Purpose::Run))
            .map_err(|e| SetupError(e.to_string()))
    }

    pub fn settings(&self, config: Config) -> Result<Settings, SetupError> {
        if self.lease_renew_seconds == 0 || self.lease_renew_seconds >= self.lease_duration_seconds {
            return Err(SetupError(
                "invalid setting --lease-renew-seconds: must be above 0 and below --lease-duration-seconds"
                    .into(),
            ));
        }
        let identity = self
            .identity
            .clone()
            .filter(|i| !i.is_empty())
            .unwrap_or_else(local_identity);
        let metrics_addr: SocketAddr = config.metrics_addr;
        Ok(Settings {
            lease: LeaseSettings {
                name: self.lease_name.clone(),
                namespace: self.lease_namespace.clone(),
                identity,
                duration: Duration::from_secs(self.lease_duration_seconds),
                renew: Duration::from_secs(self.lease_renew_seconds),
            },
            metrics_addr,
            resync: Duration::from_secs(self.resync_seconds),
            config,
        })
    }
}

/// `<hostname>-<pid>` outside a cluster.
fn local_identity() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "avigw".into());
    format!("{host}-{}", std::process::id())
}

/// The Avi client settings of a validated config (reads the credential file).
pub fn avi_config(c: &Config) -> Result<AviClientConfig, SetupError> {
    let username = c.username.clone().unwrap_or_default();
    let read = |flag: &str, p: &PathBuf| {
        Secret::from_file(p)
            .map_err(|e| SetupError(format!("invalid setting --{flag}: {}: {e}", p.display())))
    };
    let credentials = match (&c.token_file, &c.password_file) {
        (Some(t), _) => Credentials::Token {
            username,
            token: read("token-file", t)?,
        },
        (None, Some(p)) => Credentials::Password {
            username,
            password: read("password-file", p)?,
        },
        (None, None) => return Err(SetupError("invalid setting --password-file: required".into())),
    };
    let mut cfg = AviClientConfig::new(c.controller.clone().unwrap_or_default(), credentials);
    cfg.api_version = c.api_version.clone();
    cfg.tenant = c.tenant.clone();
    cfg.tls = TlsOptions {
        ca_file: c.ca_file.clone(),
        insecure_skip_verify: c.insecure_skip_verify,
    };
    Ok(cfg)
}
