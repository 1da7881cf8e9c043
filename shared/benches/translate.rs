//! Criterion timings of the translation: one key after one endpoint change on the full-size
//! cluster (10,000 Gateways, 200,000 endpoints), and a full translation of a 1,000-Gateway
//! cluster. The 10k full translation with peak RSS is `translate_scale`.

#[path = "synth.rs"]
mod synth;

use std::hint::black_box;

use avigw_shared::translate::{Context, ControllerFacts, Object, translate_all, translate_key};
use criterion::{Criterion, criterion_group, criterion_main};

fn incremental(c: &mut Criterion) {
    let cfg = synth::config();
    let ctx = Context::new(&cfg, &ControllerFacts::default());
    let mut snap = synth::snapshot(&cfg, 10_000, 10);
    let target = 5_000;
    let mut flip = 0usize;
    c.bench_function(
        "one endpoint change → re-translate its key (10k Gateways)",
        |b| {
            b.iter(|| {
                flip = (flip + 1) % 10;
                let affected = snap.upsert(Object::EndpointSlice(synth::slice(target, 0, 10, Some(flip))));
                for k in &affected {
                    black_box(translate_key(&ctx, &snap, k));
                }
                affected.len()
            })
        },
    );
    let key = snap.keys().into_iter().nth(target).expect("key");
    c.bench_function("translate one Gateway key (10k Gateways)", |b| {
        b.iter(|| black_box(translate_key(&ctx, &snap, &key)))
    });
}

fn full_small(c: &mut Criterion) {
    let cfg = synth::config();
    let ctx = Context::new(&cfg, &ControllerFacts::default());
    let snap = synth::snapshot(&cfg, 1_000, 10);
    let mut g = c.benchmark_group("full");
    g.sample_size(20);
    g.bench_function("translate_all (1k Gateways, 20k endpoints)", |b| {
        b.iter(|| black_box(translate_all(&ctx, &snap)))
    });
    g.bench_function("baseline: snapshot clone (1k Gateways)", |b| {
        b.iter(|| black_box(snap.clone()))
    });
    g.finish();
}

criterion_group!(benches, incremental, full_small);
criterion_main!(benches);
