//! A TCP proxy in front of the apiserver that can cut every connection through it and refuse
//! new ones for a while: what a reconciler sees when the network to the apiserver drops
//! (watches broken mid-stream, lease renewals failing). TLS passes through untouched.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::{Context, Result};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct CutProxy {
    pub addr: SocketAddr,
    /// Bumped by [`CutProxy::cut`]; every connection ends when it changes.
    generation: watch::Sender<u64>,
    refusing: Arc<AtomicBool>,
    accepted: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl CutProxy {
    pub async fn start(upstream: SocketAddr) -> Result<CutProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (generation, gen_rx) = watch::channel(0u64);
        let refusing = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicU64::new(0));
        let (refuse, count) = (refusing.clone(), accepted.clone());
        let task = tokio::spawn(async move {
            while let Ok((down, _)) = listener.accept().await {
                if refuse.load(Ordering::Relaxed) {
                    // Closed at once: the client sees a reset connection.
                    drop(down);
                    continue;
                }
                count.fetch_add(1, Ordering::Relaxed);
                let mut gen_rx = gen_rx.clone();
                gen_rx.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let mut down = down;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut down, &mut up) => {}
                        _ = gen_rx.changed() => {}
                    }
                });
            }
        });
        Ok(CutProxy {
            addr,
            generation,
            refusing,
            accepted,
            task,
        })
    }

    /// Drops every connection open through the proxy.
    pub fn cut(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// While `true`, new connections are closed as soon as they are accepted.
    pub fn refuse(&self, refuse: bool) {
        self.refusing.store(refuse, Ordering::Relaxed);
    }

    /// Connections passed through so far (reconnects show up here).
    pub fn connections(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// A kube client for the testenv apiserver that goes through this proxy.
    pub async fn client(&self, env: &avigw_testenv::TestEnv) -> Result<kube::Client> {
        let yaml = env.kubeconfig_yaml("admin", env.admin_token())?;
        let kc = kube::config::Kubeconfig::from_yaml(&yaml)?;
        let mut config =
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default()).await?;
        config.cluster_url = format!("https://{}", self.addr).parse().context("proxy URL")?;
        Ok(kube::Client::try_from(config)?)
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// The apiserver's address from its URL (`https://127.0.0.1:port`).
pub fn apiserver_addr(env: &avigw_testenv::TestEnv) -> Result<SocketAddr> {
    let url = env.url();
    url.trim_start_matches("https://")
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("apiserver URL {url}"))
}
