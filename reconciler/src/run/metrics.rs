//! Prometheus metrics of the reconciler (SPEC §8), one registry per running instance so that
//! tests can run several in one process.

use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::avi::{RequestObserver, RequestRecord};

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub reconcile_total: IntCounterVec,
    pub reconcile_duration: HistogramVec,
    pub avi_requests: IntCounterVec,
    pub avi_request_duration: HistogramVec,
    pub managed_objects: IntGaugeVec,
    pub queue_depth: IntGauge,
    pub leader: IntGauge,
    pub avi_available: IntGauge,
    pub sync_lag: Histogram,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let reconcile_total = IntCounterVec::new(
            Opts::new("avigw_reconcile_total", "Key reconciliations by kind and result"),
            &["kind", "result"],
        )?;
        let reconcile_duration = HistogramVec::new(
            HistogramOpts::new("avigw_reconcile_duration_seconds", "Time to reconcile one key"),
            &["kind"],
        )?;
        let avi_requests = IntCounterVec::new(
            Opts::new(
                "avigw_avi_requests_total",
                "Avi REST calls by method, object type and status",
            ),
            &["method", "object", "code"],
        )?;
        let avi_request_duration = HistogramVec::new(
            HistogramOpts::new("avigw_avi_request_duration_seconds", "Avi REST call latency"),
            &["method", "object"],
        )?;
        let managed_objects = IntGaugeVec::new(
            Opts::new("avigw_managed_objects", "Avi objects avigw owns, by type"),
            &["object"],
        )?;
        let queue_depth = IntGauge::new("avigw_workqueue_depth", "Keys waiting in the work queue")?;
        let leader = IntGauge::new("avigw_leader", "1 when this replica is the leader")?;
        let avi_available = IntGauge::new(
            "avigw_avi_available",
            "0 while the last Avi failure was Avi not answering (or 5xx/429) and no probe has succeeded since",
        )?;
        let sync_lag = Histogram::with_opts(
            HistogramOpts::new("avigw_sync_lag_seconds", "Watch event to Avi write").buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
        )?;
        registry.register(Box::new(reconcile_total.clone()))?;
        registry.register(Box::new(avi_available.clone()))?;
        registry.register(Box::new(reconcile_duration.clone()))?;
        registry.register(Box::new(avi_requests.clone()))?;
        registry.register(Box::new(avi_request_duration.clone()))?;
        registry.register(Box::new(managed_objects.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(leader.clone()))?;
        registry.register(Box::new(sync_lag.clone()))?;
        Ok(Metrics {
            registry,
            reconcile_total,
            reconcile_duration,
            avi_requests,
            avi_request_duration,
            managed_objects,
            queue_depth,
            leader,
            avi_available,
            sync_lag,
        })
    }

    pub fn observe_reconcile(&self, kind: &str, result: &str, took: Duration) {
        self.reconcile_total.with_label_values(&[kind, result]).inc();
        self.reconcile_duration
            .with_label_values(&[kind])
            .observe(took.as_secs_f64());
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// Feeds the Avi client's per-request hook into the request metrics.
pub struct AviObserver(pub Metrics);

impl RequestObserver for AviObserver {
    fn observe(&self, r: &RequestRecord<'_>) {
        self.0
            .avi_requests
            .with_label_values(&[r.method, r.object, &r.code()])
            .inc();
        self.0
            .avi_request_duration
            .with_label_values(&[r.method, r.object])
            .observe(r.duration.as_secs_f64());
    }
}
