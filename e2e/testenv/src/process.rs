//! The apiserver child process: started once per test binary, and stopped with it — also on
//! panic, SIGKILL or Ctrl-C.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result, io_err};
use crate::{LIMITED_GROUP, LIMITED_USER, Paths, ReadyInfo, TestEnv};

const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Pid of the child, for the atexit handler (0 = none).
static CHILD_PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn stop_child_at_exit() {
    let pid = CHILD_PID.load(Ordering::SeqCst);
    if pid <= 0 {
        return;
    }
    // SAFETY: plain syscalls on a pid we spawned; the keeper thread reaps it.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    // Wait (bounded) so the test binary ends only after its apiserver did: no stray
    // process for whoever runs next.
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline {
        // SAFETY: signal 0 only checks existence.
        if unsafe { libc::kill(pid, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

pub(crate) fn start(paths: Paths) -> Result<TestEnv> {
    let started = Instant::now();
    let logs = paths.root.join("logs");
    std::fs::create_dir_all(&logs).map_err(io_err(format!("creating {}", logs.display())))?;
    prune_old_logs(&logs);
    let tag = format!(
        "{}-{}",
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "test".into()),
        std::process::id()
    );
    let log = logs.join(format!("{tag}.log"));
    sweep_stale_run_dirs();
    let run_dir = std::env::temp_dir().join(format!("{RUN_DIR_PREFIX}{tag}"));
    let log_file = std::fs::File::create(&log).map_err(io_err(format!("creating {}", log.display())))?;

    let mut cmd = std::process::Command::new(&paths.apiserver);
    cmd.arg("--dir")
        .arg(&run_dir)
        .arg("--user")
        .arg(format!("{LIMITED_USER}:{LIMITED_GROUP}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file));
    let parent = std::process::id() as libc::pid_t;
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // SIGTERM when the spawning thread dies; that is the keeper thread
                // below, which lives as long as the process.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }

    let (tx, rx) = mpsc::channel::<Result<ReadyInfo>>();
    let log_for_thread = log.clone();
    std::thread::Builder::new()
        .name("avigw-testenv-apiserver".into())
        .spawn(move || keeper(cmd, tx, log_for_thread))
        .map_err(io_err("spawning the keeper thread"))?;

    let info = match rx.recv_timeout(START_TIMEOUT) {
        Ok(r) => r?,
        Err(_) => {
            return Err(Error::Start {
                reason: format!("no READY within {}s", START_TIMEOUT.as_secs()),
                log,
            });
        }
    };
    tracing::info!(url = %info.url, elapsed = ?started.elapsed(), "testenv apiserver ready");
    Ok(TestEnv {
        info,
        paths,
        run_dir,
        log,
    })
}

/// Spawns the apiserver and then stays alive (blocked in wait) for the rest of the
/// process: PR_SET_PDEATHSIG fires when the *thread* that forked the child exits.
fn keeper(mut cmd: std::process::Command, tx: mpsc::Sender<Result<ReadyInfo>>, log: PathBuf) {
    let start_err = |reason: String| Error::Start {
        reason,
        log: log.clone(),
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Err(start_err(format!("spawn: {e}"))));
            return;
        }
    };
    let pid = child.id() as i32;
    CHILD_PID.store(pid, Ordering::SeqCst);
    static ATEXIT: OnceLock<()> = OnceLock::new();
    ATEXIT.get_or_init(|| {
        // SAFETY: registering a plain extern "C" fn.
        unsafe {
            libc::atexit(stop_child_at_exit);
        }
    });
    // Held (never written) until the process exits: its EOF tells the child to stop.
    let _stdin = child.stdin.take();
    let Some(stdout) = child.stdout.take() else {
        let _ = tx.send(Err(start_err("no stdout pipe".into())));
        return;
    };
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let mut sent = false;
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if let Some(json) = line.trim().strip_prefix("READY ") {
            let r = serde_json::from_str::<ReadyInfo>(json)
                .map_err(|e| start_err(format!("bad READY line: {e}")));
            let _ = tx.send(r);
            sent = true;
            break;
        }
    }
    // Keep draining so the child never blocks on a full stdout pipe.
    let mut sink = Vec::new();
    let _ = reader.read_to_end(&mut sink);
    let status = child.wait();
    CHILD_PID.store(0, Ordering::SeqCst);
    let tail = log_tail(&log, 15);
    if !sent {
        let reason = match status {
            Ok(s) => format!("exited with {s} before ready; log tail:\n{tail}"),
            Err(e) => format!("wait: {e}"),
        };
        let _ = tx.send(Err(start_err(reason)));
    } else {
        // Normal only at process exit; anything earlier breaks every later test.
        eprintln!(
            "avigw-testenv: apiserver exited ({status:?}); log {}:\n{tail}",
            log.display()
        );
    }
}

fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

const RUN_DIR_PREFIX: &str = "avigw-testenv-";

/// The apiserver removes its run dir when it stops; only a SIGKILL of the apiserver
/// itself leaves one behind. Remove those whose owning test process is gone.
fn sweep_stale_run_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(RUN_DIR_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.rsplit('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the pid exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Logs are kept for post-mortems but not forever.
fn prune_old_logs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let cutoff = SystemTime::now() - Duration::from_secs(24 * 3600);
    for e in entries.flatten() {
        let old = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
