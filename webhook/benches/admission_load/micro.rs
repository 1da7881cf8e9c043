//! `review()` alone and its stages on one thread, to split JSON/rules cost from TLS/HTTP cost:
//! the Gateway's stages in detail, the Ingress's `review()` and its rules (the host index
//! lookups among 10,000 Ingresses included).

use std::time::Duration;

use anyhow::Context;
use avigw_shared::api::Gateway;
use avigw_shared::config::Scope;
use avigw_shared::rules::{Change, ClusterView, Review, judge};
use avigw_webhook::metrics::Metrics;
use avigw_webhook::review::{Mode, review};
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use serde::Deserialize;
use serde_json::Value;

use crate::report::per_op;

/// What validating a Gateway reads, and nothing else: every other field (managedFields,
/// annotations, userInfo, ...) is skipped by serde without being built. A reference for how far
/// the decoding cost can go down, not a proposal for the exact shape.
#[derive(Deserialize)]
#[allow(dead_code)]
struct LeanReview {
    request: LeanRequest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct LeanRequest {
    uid: String,
    kind: LeanKind,
    operation: String,
    namespace: Option<String>,
    object: Option<LeanObject>,
    old_object: Option<LeanObject>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct LeanKind {
    group: String,
    kind: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct LeanObject {
    metadata: LeanMeta,
    spec: avigw_shared::api::GatewaySpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct LeanMeta {
    name: Option<String>,
    namespace: Option<String>,
    generate_name: Option<String>,
}

pub fn micro(bodies: &[(&str, &[u8])], view: &dyn ClusterView, total: Duration) -> anyhow::Result<()> {
    use std::hint::black_box;
    let body = bodies
        .iter()
        .find(|(n, _)| *n == "Gateway")
        .map(|(_, b)| *b)
        .context("no Gateway workload")?;
    let cfg = Scope::default();
    let metrics = Metrics::new()?;
    let review_typed: AdmissionReview<DynamicObject> = serde_json::from_slice(body)?;
    let req: AdmissionRequest<DynamicObject> = review_typed.try_into()?;
    let object = req.object.clone().context("no object")?;
    let object_value = serde_json::to_value(&object)?;
    let gw = Gateway::deserialize(&object_value)?;
    let object_bytes = serde_json::to_vec(&object_value)?;

    let full = per_op(total, || {
        black_box(review(black_box(body), Mode::Validate, view, &cfg).expect("review"));
    });
    type Stage<'a> = (&'a str, Box<dyn FnMut() + 'a>);
    let stages: Vec<Stage> = vec![
        (
            "1 decode AdmissionReview<DynamicObject> from bytes",
            Box::new(|| {
                black_box(
                    serde_json::from_slice::<AdmissionReview<DynamicObject>>(black_box(body))
                        .expect("decode"),
                );
            }),
        ),
        (
            "2 object DynamicObject -> serde_json::Value (to_value)",
            Box::new(|| {
                black_box(serde_json::to_value(black_box(&object)).expect("to_value"));
            }),
        ),
        (
            "3 Value -> typed Gateway",
            Box::new(|| {
                black_box(Gateway::deserialize(black_box(&object_value)).expect("gateway"));
            }),
        ),
        (
            "4 rules: judge (class lookup, default_gateway, validate_gateway)",
            Box::new(|| {
                let review = Review::Gateway(Change::create(black_box(&gw)));
                black_box(judge(&review, view, &cfg));
            }),
        ),
        (
            "5 encode the allow AdmissionReview",
            Box::new(|| {
                let resp = AdmissionResponse::from(black_box(&req));
                black_box(serde_json::to_vec(&resp.into_review()).expect("encode"));
            }),
        ),
        (
            "6 handler metrics (counter + histogram)",
            Box::new(|| {
                metrics
                    .requests
                    .with_label_values(&["Gateway", "CREATE", "true", "false"])
                    .inc();
                metrics.duration.with_label_values(&["Gateway"]).observe(0.0001);
            }),
        ),
        (
            "ref: the same bytes -> serde_json::Value",
            Box::new(|| {
                black_box(serde_json::from_slice::<Value>(black_box(body)).expect("value"));
            }),
        ),
        (
            "ref: scan the same bytes, keep nothing (IgnoredAny)",
            Box::new(|| {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body)).expect("scan"));
            }),
        ),
        (
            "ref: typed Gateway straight from the object's bytes",
            Box::new(|| {
                black_box(serde_json::from_slice::<Gateway>(black_box(&object_bytes)).expect("gateway"));
            }),
        ),
        (
            "ref: one typed pass, AdmissionReview<Gateway>",
            Box::new(|| {
                black_box(
                    serde_json::from_slice::<AdmissionReview<Gateway>>(black_box(body)).expect("typed"),
                );
            }),
        ),
        (
            "ref: lean decode, only what Gateway rules read",
            Box::new(|| {
                black_box(serde_json::from_slice::<LeanReview>(black_box(body)).expect("lean"));
            }),
        ),
    ];
    println!();
    println!(
        "## micro: one thread, best of 3 slices of {:.1} s",
        total.as_secs_f64()
    );
    println!();
    println!("| stage | µs/op | share of review() |");
    println!("|---|---:|---:|");
    println!("| review() whole, Mode::Validate | {:.1} | 100% |", full / 1e3);
    let mut sum = 0.0;
    for (name, mut f) in stages {
        let ns = per_op(total, &mut *f);
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            sum += ns;
        }
        println!("| {name} | {:.1} | {:.0}% |", ns / 1e3, ns / full * 100.0);
    }
    println!(
        "| sum of stages 1-6 | {:.1} | {:.0}% |",
        sum / 1e3,
        sum / full * 100.0
    );
    for (name, body) in bodies.iter().filter(|(n, _)| *n != "Gateway") {
        let whole = per_op(total, || {
            black_box(review(black_box(body), Mode::Validate, view, &cfg).expect("review"));
        });
        let review_typed: AdmissionReview<DynamicObject> = serde_json::from_slice(body)?;
        let req: AdmissionRequest<DynamicObject> = review_typed.try_into()?;
        let object = serde_json::to_value(req.object.context("no object")?)?;
        let ing = k8s_openapi::api::networking::v1::Ingress::deserialize(&object)?;
        let rules = per_op(total, || {
            black_box(judge(
                &Review::Ingress(Change::create(black_box(&ing))),
                view,
                &cfg,
            ));
        });
        println!("| review() whole, {name} CREATE | {:.1} | |", whole / 1e3);
        println!(
            "| {name}: rules alone (judge: class, both hosts looked up in the index, their Ingresses parsed) | {:.1} | {:.0}% of its review() |",
            rules / 1e3,
            rules / whole * 100.0
        );
    }
    Ok(())
}
