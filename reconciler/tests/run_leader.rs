//! Leader election against a real apiserver: expiry judged on each replica's own clock (a
//! follower whose wall clock is 30 s off neither steals a live lease nor waits forever for a
//! dead one), a lease that stops being renewed is taken after its duration, and a graceful
//! shutdown hands over at once, never with two leaders.

mod run_support;

use std::time::{Duration, Instant};

use avigw_reconciler::run::{self, Elector, LeaseSettings, Metrics, RunHandle, WallClock};
use avisim::FaultPatch;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use run_support::{Env, env, eventually};
use tokio::sync::watch;

fn lease_settings(e: &Env, identity: &str) -> LeaseSettings {
    e.settings(e.raw(), identity).lease
}

fn skewed(secs: i64) -> WallClock {
    WallClock {
        offset: SignedDuration::from_secs(secs),
    }
}

async fn lease(e: &Env, s: &LeaseSettings) -> Lease {
    let client = e.ctx.env.client().await.expect("kube client");
    Api::<Lease>::namespaced(client, &s.namespace)
        .get(&s.name)
        .await
        .expect("lease")
}

async fn holder(e: &Env, s: &LeaseSettings) -> Option<String> {
    lease(e, s).await.spec?.holder_identity
}

async fn leads_within(rx: &mut watch::Receiver<bool>, within: Duration) -> bool {
    tokio::time::timeout(within, rx.wait_for(|l| *l))
        .await
        .is_ok_and(|r| r.is_ok())
}

/// `replica-a`, on a true clock, leading the lease of the test's namespace.
async fn first_leader(e: &Env) -> (kube::Client, LeaseSettings, Elector, watch::Receiver<bool>) {
    let client = e.ctx.env.client().await.expect("kube client");
    let s = lease_settings(e, "replica-a");
    let a = Elector::spawn(client.clone(), s.clone(), WallClock::default());
    let mut a_leads = a.leading();
    assert!(
        leads_within(&mut a_leads, Duration::from_secs(20)).await,
        "a leads"
    );
    (client, s, a, a_leads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_with_clock_ahead_does_not_take_a_live_lease() {
    let e = env("lease-ahead").await;
    let (client, s, a, a_leads) = first_leader(&e).await;
    let b = Elector::spawn(client, lease_settings(&e, "replica-b"), skewed(30));
    let mut b_leads = b.leading();
    // Four lease durations: `a` keeps renewing, so `b` (whose clock reads `a`'s renewTime as
    // 30 s old) must never lead, and `a` never stops.
    let watch_for = s.duration * 4;
    assert!(
        !leads_within(&mut b_leads, watch_for).await,
        "the follower 30 s ahead took a live lease (holder now {:?})",
        holder(&e, &s).await
    );
    assert!(*a_leads.borrow(), "a still leads");
    assert_eq!(holder(&e, &s).await.as_deref(), Some("replica-a"));
    a.abort();
    b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_takes_a_lease_that_stops_being_renewed_after_its_duration() {
    let e = env("lease-behind").await;
    let (client, s, a, _) = first_leader(&e).await;
    // `b`'s clock is 30 s behind: `a`'s renewTime is in its future.
    let b = Elector::spawn(client, lease_settings(&e, "replica-b"), skewed(-30));
    let mut b_leads = b.leading();
    tokio::time::sleep(s.duration).await;
    assert!(!*b_leads.borrow(), "b follows while a renews");

    // `a` dies without releasing; its last renewTime (stamped by the same host's clock,
    // before the write) bounds from below when `b` may see the lease go stale.
    a.abort();
    let aborted = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last_renew = lease(&e, &s)
        .await
        .spec
        .and_then(|l| l.renew_time)
        .expect("renewTime")
        .0;
    let slack = Duration::from_secs(5);
    assert!(
        leads_within(&mut b_leads, s.duration + slack).await,
        "b never took the lease of a dead leader (holder {:?})",
        holder(&e, &s).await
    );
    let took = Timestamp::now().duration_since(last_renew);
    println!(
        "b led {took:?} after a's last renewal, {:?} after a stopped (lease {:?})",
        aborted.elapsed(),
        s.duration
    );
    assert!(
        took >= SignedDuration::try_from(s.duration).expect("duration"),
        "b took the lease {took:?} after the last renewal, before a lease duration"
    );
    assert_eq!(holder(&e, &s).await.as_deref(), Some("replica-b"));
    b.abort();
}

/// Completed writes of Avi objects this replica made (every HTTP attempt is counted on its
/// answer; logins are not writes).
fn avi_writes(m: &Metrics) -> u64 {
    let is = |l: &str, label: &str, values: &[&str]| {
        values.iter().any(|v| l.contains(&format!("{label}=\"{v}\"")))
    };
    m.render()
        .lines()
        .filter(|l| l.starts_with("avigw_avi_requests_total{"))
        .filter(|l| is(l, "method", &["POST", "PUT", "PATCH", "DELETE"]))
        .filter(|l| is(l, "object", &["vsvip", "pool", "l4policyset", "virtualservice"]))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn ready(run: &RunHandle) -> bool {
    let url = format!("http://{}/readyz", run.metrics_addr);
    tokio::process::Command::new("curl")
        .args(["-sf", &url])
        .output()
        .await
        .is_ok_and(|o| o.status.success())
}

/// One replica with the production lease timings (15 s, renewed every 5 s): a handover
/// faster than a second cannot come from polling or from waiting out the lease.
async fn replica(e: &Env, identity: &str) -> RunHandle {
    let mut raw = e.raw();
    raw.leader_elect = Some(true);
    let mut s = e.settings(raw, identity);
    s.lease.duration = Duration::from_secs(15);
    s.lease.renew = Duration::from_secs(5);
    let client = e.ctx.env.client().await.expect("kube client");
    run::start(s, client, e.avi_config())
        .await
        .expect("reconciler starts")
}

#[derive(Debug)]
struct Handover {
    leader_gauge: Duration,
    active: Duration,
    first_write: Duration,
}

/// Gracefully stops `old` (the leader, mid-sync) while `new` follows, and times `new` from the
/// start of the shutdown: leader gauge 1, active, first Avi write. Checks on the way that the
/// two never lead at once and that `old` writes nothing once `new` has begun.
async fn hand_over(old: RunHandle, new: &RunHandle) -> Handover {
    let old_metrics = old.metrics.clone();
    let new_writes_before = avi_writes(&new.metrics);
    assert_eq!(new_writes_before, 0, "the follower wrote to Avi");
    let t0 = Instant::now();
    let stopping = tokio::spawn(old.shutdown_gracefully());
    let (mut leader_gauge, mut active, mut first_write) = (None, None, None);
    let mut old_writes_then = 0;
    loop {
        let t = t0.elapsed();
        let (old_leads, new_leads) = (old_metrics.leader.get() == 1, new.metrics.leader.get() == 1);
        assert!(!(old_leads && new_leads), "two leaders {t:?} into the handover");
        if new_leads {
            leader_gauge.get_or_insert(t);
        }
        if new.is_active() {
            active.get_or_insert(t);
        }
        if first_write.is_none() && avi_writes(&new.metrics) > new_writes_before {
            first_write = Some(t);
            old_writes_then = avi_writes(&old_metrics);
        }
        if let (Some(leader_gauge), Some(active), Some(first_write)) = (leader_gauge, active, first_write)
            && stopping.is_finished()
        {
            assert_eq!(
                avi_writes(&old_metrics),
                old_writes_then,
                "the old leader wrote after the new one began"
            );
            return Handover {
                leader_gauge,
                active,
                first_write,
            };
        }
        assert!(
            t < Duration::from_secs(30),
            "no handover after {t:?}: gauge {leader_gauge:?} active {active:?} write {first_write:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollouts_hand_over_in_under_a_second_never_two_leaders() {
    const ROLLOUTS: usize = 5;
    const GATEWAYS_PER_ROLLOUT: usize = 20;
    let e = env("lease-rollout").await;
    // Slow Avi down so that each handover lands mid-sync with work left for the next leader.
    e.sim.apply_faults(&FaultPatch {
        latency_ms: Some(20),
        ..FaultPatch::default()
    });
    let mut leader = replica(&e, "replica-0").await;
    assert!(leader.wait_idle(Duration::from_secs(60)).await, "replica-0 leads");
    let mut times = Vec::new();
    for round in 1..=ROLLOUTS {
        let next = replica(&e, &format!("replica-{round}")).await;
        eventually(60, "the new replica's watches synced", || async {
            ready(&next).await.then_some(())
        })
        .await;
        assert!(!next.is_active(), "a second replica is active");
        // Work for the leader, then the rollout stops it part-way through.
        let yaml: Vec<String> = (0..GATEWAYS_PER_ROLLOUT)
            .map(|i| e.gateway_yaml(&format!("gw-{round}-{i}"), &[80], None))
            .collect();
        let writes_before = avi_writes(&leader.metrics);
        e.apply(&yaml.join("---\n")).await;
        eventually(60, "the leader writing", || async {
            (avi_writes(&leader.metrics) >= writes_before + 5).then_some(())
        })
        .await;
        let h = hand_over(leader, &next).await;
        println!(
            "rollout {round}: leader gauge 1 after {:?}, active after {:?}, first Avi write after {:?}",
            h.leader_gauge, h.active, h.first_write
        );
        times.push(h);
        leader = next;
    }
    // Everything converges under the last leader.
    assert!(
        leader.wait_idle(Duration::from_secs(120)).await,
        "last leader idle"
    );
    let vs = e.names("virtualservice").await;
    assert_eq!(vs.len(), ROLLOUTS * GATEWAYS_PER_ROLLOUT, "{vs:?}");
    let worst = times.iter().map(|h| h.first_write).max().unwrap_or_default();
    println!(
        "first write by the new leader after the shutdown began: {:?}",
        times.iter().map(|h| h.first_write).collect::<Vec<_>>()
    );
    assert!(worst < Duration::from_secs(1), "slowest handover {worst:?}");
    leader.shutdown();
}

/// A client for ServiceAccount `name` whose only rights are `lease_verbs` on Leases (and,
/// with `watch_one`, list and watch of the one Lease by name).
async fn lease_client(e: &Env, name: &str, lease: &str, watch_one: bool) -> kube::Client {
    let mut rules =
        "- apiGroups: [coordination.k8s.io]\n  resources: [leases]\n  verbs: [get, create, update]\n"
            .to_owned();
    if watch_one {
        rules.push_str(&format!(
            "- apiGroups: [coordination.k8s.io]\n  resources: [leases]\n  resourceNames: [{lease}]\n  verbs: [list, watch]\n"
        ));
    }
    let ns = &e.ctx.ns;
    e.apply(&format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\nrules:\n{rules}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {name}\nsubjects:\n- kind: ServiceAccount\n  name: {name}\n  namespace: {ns}\n"
    ))
    .await;
    e.ctx
        .env
        .service_account_client(ns, name)
        .await
        .expect("service account client")
}

/// Releases `leader`'s lease while a follower on `follower_client` waits; answers how long the
/// follower took to lead.
async fn release_to(e: &Env, follower_client: kube::Client, lease_name: &str) -> Duration {
    let settings = |id: &str| {
        let mut s = lease_settings(e, id);
        s.name = lease_name.to_owned();
        s.duration = Duration::from_secs(15);
        s.renew = Duration::from_secs(5);
        s
    };
    let admin = e.ctx.env.client().await.expect("kube client");
    let a = Elector::spawn(admin, settings("replica-a"), WallClock::default());
    assert!(
        leads_within(&mut a.leading(), Duration::from_secs(20)).await,
        "a leads"
    );
    let b = Elector::spawn(follower_client, settings("replica-b"), WallClock::default());
    let mut b_leads = b.leading();
    // Long enough for b to list, watch (or fail to) and see the lease.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!*b_leads.borrow(), "b follows");
    let t0 = Instant::now();
    assert!(a.release(Duration::from_secs(5)).await, "a released");
    assert!(
        leads_within(&mut b_leads, Duration::from_secs(10)).await,
        "b never took the released lease"
    );
    let took = t0.elapsed();
    b.abort();
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_watch_the_lease_by_name_or_poll_without_rights_to() {
    let e = env("lease-rbac").await;
    // With list and watch of the one Lease (resourceNames), a release is seen as it happens.
    let client = lease_client(&e, "watcher", "by-watch", true).await;
    let watched = release_to(&e, client, "by-watch").await;
    // With only get, create and update, the watch is refused and followers poll every
    // min(renew, 2 s): still far sooner than the 15 s lease.
    let client = lease_client(&e, "poller", "by-poll", false).await;
    let polled = release_to(&e, client, "by-poll").await;
    println!(
        "a released lease was taken after {watched:?} by a watching follower, {polled:?} by a polling one"
    );
    assert!(
        watched < Duration::from_secs(1),
        "watching follower took {watched:?}"
    );
    assert!(
        polled < Duration::from_secs(4),
        "polling follower took {polled:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_racing_for_a_released_lease_one_wins() {
    let e = env("lease-race").await;
    let client = e.ctx.env.client().await.expect("kube client");
    let s = lease_settings(&e, "replica-0");
    let mut electors: Vec<Option<Elector>> = Vec::new();
    let mut leading = Vec::new();
    for i in 0..3 {
        let el = Elector::spawn(
            client.clone(),
            lease_settings(&e, &format!("replica-{i}")),
            WallClock::default(),
        );
        leading.push(el.leading());
        electors.push(Some(el));
        if i == 0 {
            assert!(
                leads_within(&mut leading[0], Duration::from_secs(20)).await,
                "0 leads"
            );
        }
    }
    // Counts the leaders every millisecond until told to stop; answers the most seen at once.
    let (stop, mut stopped) = watch::channel(false);
    let sampler = {
        let leading = leading.clone();
        tokio::spawn(async move {
            let mut most = 0;
            while !*stopped.borrow_and_update() {
                most = most.max(leading.iter().filter(|l| *l.borrow()).count());
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(1)) => {}
                    _ = stopped.changed() => {}
                }
            }
            most
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Release the leader twice: each time the two (then one) left race for the free lease.
    for round in 0..2 {
        let current = (0..3)
            .find(|&i| electors[i].is_some() && *leading[i].borrow())
            .expect("a leader");
        let t0 = Instant::now();
        let el = electors[current].take().expect("elector");
        assert!(el.release(Duration::from_secs(5)).await, "released");
        let mut next = None;
        while next.is_none() {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "nobody took the released lease"
            );
            next = (0..3).find(|&i| electors[i].is_some() && *leading[i].borrow());
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let next = next.expect("next leader");
        println!(
            "round {round}: replica-{next} led {:?} after replica-{current} released",
            t0.elapsed()
        );
        // A lease duration later the winner still leads and holds the Lease.
        tokio::time::sleep(s.duration).await;
        assert!(*leading[next].borrow(), "replica-{next} still leads");
        assert_eq!(holder(&e, &s).await, Some(format!("replica-{next}")));
    }
    let _ = stop.send(true);
    let most = sampler.await.expect("sampler");
    assert_eq!(most, 1, "leaders at once");
    for el in electors.into_iter().flatten() {
        el.abort();
    }
}
