//! The webhook's Prometheus metrics (SPEC §8).

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The `kind` of `avigw_admission_errors_total` for requests answered before their kind is
/// known (a body that is too large, unreadable, or not an AdmissionReview).
pub const UNKNOWN_KIND: &str = "Unknown";

pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub duration: HistogramVec,
    pub denials: IntCounterVec,
    pub errors: IntCounterVec,
    pub cert_expiry: Gauge,
    pub cert_reloads: IntCounter,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("avigw_admission_requests_total", "Admission requests answered"),
            &["kind", "operation", "allowed", "mutated"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "avigw_admission_duration_seconds",
                "Time to answer one admission request",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5,
            ]),
            &["kind"],
        )?;
        let denials = IntCounterVec::new(
            Opts::new(
                "avigw_admission_denials_total",
                "Rule violations in denied requests",
            ),
            &["kind", "rule"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "avigw_admission_errors_total",
                "Admission requests answered with an error instead of the rules' verdict, by kind (Unknown: answered before the kind was read) and cause",
            ),
            &["kind", "error"],
        )?;
        let cert_expiry = Gauge::new(
            "avigw_webhook_certificate_expiry_timestamp_seconds",
            "notAfter of the serving certificate, as a Unix timestamp",
        )?;
        let cert_reloads = IntCounter::new(
            "avigw_webhook_certificate_reloads_total",
            "Serving certificate reloads from disk",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(denials.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(cert_expiry.clone()))?;
        registry.register(Box::new(cert_reloads.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            duration,
            denials,
            errors,
            cert_expiry,
            cert_reloads,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for the text format.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}
