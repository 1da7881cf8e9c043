//! `avisim`: run the Avi controller simulator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use avisim::{FaultSettings, LicenseTier, NetworkSpec, SimConfig, TlsSource};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "avisim", version, about = "Avi-REST-compatible controller simulator")]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "AVISIM_LISTEN", default_value = "127.0.0.1:9443")]
    listen: SocketAddr,
    #[arg(long, env = "AVISIM_USERNAME", default_value = "admin")]
    username: String,
    /// Admin password (prefer AVISIM_PASSWORD or --password-file over the command line).
    #[arg(long, env = "AVISIM_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[arg(long, env = "AVISIM_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    /// Accepted login tokens (repeatable).
    #[arg(
        long = "token",
        env = "AVISIM_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    tokens: Vec<String>,
    /// Serving certificate (PEM); a CA-signed one is generated when absent.
    #[arg(long, env = "AVISIM_CERT", requires = "key")]
    cert: Option<PathBuf>,
    #[arg(long, env = "AVISIM_KEY", requires = "cert")]
    key: Option<PathBuf>,
    /// Extra names for the generated certificate (repeatable).
    #[arg(long = "san", env = "AVISIM_SANS", value_delimiter = ',')]
    sans: Vec<String>,
    /// Write the generated CA certificate here, for clients' --ca-file.
    #[arg(long, env = "AVISIM_CA_OUT")]
    ca_out: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long, env = "AVISIM_PLAIN_HTTP")]
    plain_http: bool,
    /// VIP network with IPAM subnet, NAME=CIDR (repeatable).
    #[arg(
        long = "network",
        env = "AVISIM_NETWORKS",
        value_delimiter = ',',
        default_value = "vip-net=10.50.0.0/24"
    )]
    networks: Vec<NetworkSpec>,
    /// ENTERPRISE, ENTERPRISE_WITH_CLOUD_SERVICES, ESSENTIALS or BASIC.
    #[arg(long, env = "AVISIM_LICENSE_TIER", default_value = "ENTERPRISE")]
    license_tier: LicenseTier,
    #[arg(long, env = "AVISIM_CONTROLLER_VERSION", default_value = avisim::config::DEFAULT_CONTROLLER_VERSION)]
    controller_version: String,
    /// Accept /api calls without X-Avi-Version (as a real controller does).
    #[arg(long, env = "AVISIM_LAX_API_VERSION")]
    lax_api_version: bool,
    #[arg(long, env = "AVISIM_NO_BASIC_AUTH")]
    no_basic_auth: bool,
    #[arg(long, env = "AVISIM_SESSION_IDLE_TIMEOUT_SECS", default_value_t = 900)]
    session_idle_timeout_secs: u64,
    // Fault knobs (also adjustable at run time through /_sim/faults).
    #[arg(long, env = "AVISIM_LATENCY_MS", default_value_t = 0)]
    latency_ms: u64,
    #[arg(long, env = "AVISIM_ERROR_RATE", default_value_t = 0.0)]
    error_rate: f64,
    #[arg(long, env = "AVISIM_ERROR_CODE")]
    error_code: Option<u16>,
    #[arg(long, env = "AVISIM_RATE_LIMIT_RPS")]
    rate_limit_rps: Option<u32>,
    #[arg(long, env = "AVISIM_UPGRADE_MODE")]
    upgrade_mode: bool,
    #[arg(long, env = "AVISIM_CREATE_RECORD_NOT_FOUND", default_value_t = 0)]
    create_record_not_found: u32,
    /// Start inside a down window of this many seconds (503 to everything).
    #[arg(long, env = "AVISIM_DOWN_FOR_SECS")]
    down_for_secs: Option<f64>,
    #[arg(long, env = "AVISIM_LOG_JSON")]
    log_json: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = Args::parse();
    avigw_ops::init_tracing(avigw_ops::LogFormat::json(a.log_json));
    let password = match (&a.password, &a.password_file) {
        (Some(p), _) => p.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("--password-file {}", f.display()))?
            .trim_end()
            .to_string(),
        (None, None) => bail!("--password (or AVISIM_PASSWORD / --password-file) is required"),
    };
    if !(0.0..=1.0).contains(&a.error_rate) {
        bail!("--error-rate {}: must be between 0 and 1", a.error_rate);
    }
    let tls = match (a.plain_http, a.cert, a.key) {
        (true, _, _) => TlsSource::Plain,
        (false, Some(cert), Some(key)) => TlsSource::Files { cert, key },
        _ => {
            let mut sans = vec!["localhost".to_string(), a.listen.ip().to_string()];
            sans.extend(a.sans);
            sans.sort();
            sans.dedup();
            TlsSource::SelfSigned { sans }
        }
    };
    let cfg = SimConfig {
        listen: a.listen,
        username: a.username,
        password,
        tokens: a.tokens,
        tls,
        controller_version: a.controller_version,
        require_api_version: !a.lax_api_version,
        allow_basic_auth: !a.no_basic_auth,
        session_idle_timeout: Duration::from_secs(a.session_idle_timeout_secs),
        networks: a.networks,
        license_tier: a.license_tier,
        faults: FaultSettings {
            latency_ms: a.latency_ms,
            error_rate: a.error_rate,
            error_code: a.error_code,
            rate_limit_rps: a.rate_limit_rps,
            upgrade_mode: a.upgrade_mode,
            create_record_not_found: a.create_record_not_found,
            ..Default::default()
        },
        request_log_capacity: 512,
    };
    tracing::info!(config = ?cfg, "starting avisim");
    let sim = avisim::spawn(cfg).await.context("starting avisim")?;
    if let Some(secs) = a.down_for_secs {
        sim.state()
            .faults
            .set_down(Duration::from_secs_f64(secs.max(0.0)));
    }
    if let (Some(path), Some(pem)) = (&a.ca_out, sim.ca_pem()) {
        std::fs::write(path, pem).with_context(|| format!("--ca-out {}", path.display()))?;
        tracing::info!(path = %path.display(), "wrote CA certificate");
    }
    tracing::info!(url = %sim.base_url(), "avisim listening");
    // One machine-readable line for scripts that start avisim on port 0.
    println!("READY {}", sim.base_url());
    let h = sim.shutdown_handle();
    tokio::spawn(async move {
        avigw_ops::shutdown_signal().await;
        tracing::info!("shutting down");
        h.graceful_shutdown(Some(Duration::from_secs(5)));
    });
    sim.wait().await.context("serving")?;
    Ok(())
}
