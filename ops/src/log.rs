//! Logging: `tracing` events to stderr as text or JSON lines, filtered by `RUST_LOG`
//! (`info` when unset).

use std::io::IsTerminal;

use tracing::Dispatch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable text.
    #[default]
    Plain,
    /// One JSON object per line, for log collectors.
    Json,
}

impl LogFormat {
    /// `Json` when `json` is set (the `--log-json` flags), else `Plain`.
    pub fn json(json: bool) -> Self {
        if json { LogFormat::Json } else { LogFormat::Plain }
    }
}

/// `--log-json[=BOOL]` (env `AVIGW_LOG_JSON`), for every avigw binary. `global`: it may be
/// given before or after a subcommand; `require_equals`: `--log-json serve` is the flag then
/// the subcommand, not a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::Args)]
pub struct LogArgs {
    /// Log as JSON lines.
    #[arg(
        long,
        env = "AVIGW_LOG_JSON",
        global = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = false,
        default_missing_value = "true"
    )]
    pub log_json: bool,
}

impl LogArgs {
    pub fn format(&self) -> LogFormat {
        LogFormat::json(self.log_json)
    }
}

/// Installs the process-wide subscriber: `format` to stderr, `RUST_LOG` or `info`, colours
/// only on a terminal. Does nothing when one is already installed.
pub fn init_tracing(format: LogFormat) {
    init_tracing_at(format, "info");
}

/// As [`init_tracing`], with `default_filter` when `RUST_LOG` is unset (an interactive tool
/// such as the demo keeps its own output readable with `warn`).
pub fn init_tracing_at(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let ansi = std::io::stderr().is_terminal();
    // An error means a subscriber is already set (e.g. by a test harness): keep it.
    let _ = dispatch(format, filter, ansi, std::io::stderr).try_init();
}

/// The subscriber [`init_tracing`] installs, writing to `writer`.
pub fn dispatch<W>(format: LogFormat, filter: EnvFilter, ansi: bool, writer: W) -> Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    match format {
        LogFormat::Plain => builder.finish().into(),
        LogFormat::Json => builder.json().finish().into(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Buffer {
            self.clone()
        }
    }

    fn lines(format: LogFormat, filter: &str) -> Vec<String> {
        let buf = Buffer::default();
        let d = dispatch(format, EnvFilter::new(filter), false, buf.clone());
        tracing::dispatcher::with_default(&d, || {
            tracing::info!(key = "k1", "visible event");
            tracing::debug!("hidden event");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn json_format_writes_one_object_per_event() {
        let out = lines(LogFormat::Json, "info");
        assert_eq!(out.len(), 1, "{out:?}");
        let v: serde_json::Value = serde_json::from_str(&out[0]).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["fields"]["message"], "visible event");
        assert_eq!(v["fields"]["key"], "k1");
    }

    #[test]
    fn plain_format_writes_text() {
        let out = lines(LogFormat::Plain, "info");
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&out[0]).is_err(),
            "{}",
            out[0]
        );
        assert!(out[0].contains("INFO") && out[0].contains("visible event") && out[0].contains("key=\"k1\""));
    }

    #[test]
    fn the_filter_decides_what_is_written() {
        assert_eq!(lines(LogFormat::Plain, "debug").len(), 2);
        assert_eq!(lines(LogFormat::Json, "warn").len(), 0);
    }

    #[test]
    fn the_flag_picks_the_format() {
        assert_eq!(LogFormat::json(true), LogFormat::Json);
        assert_eq!(LogFormat::json(false), LogFormat::Plain);
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        log: LogArgs,
        #[command(subcommand)]
        command: Option<Sub>,
    }

    #[derive(clap::Subcommand, PartialEq, Eq, Debug)]
    enum Sub {
        Serve,
    }

    fn parse(args: &[&str]) -> Result<(LogFormat, Option<Sub>), clap::Error> {
        use clap::Parser;
        let cli = Cli::try_parse_from(std::iter::once("bin").chain(args.iter().copied()))?;
        Ok((cli.log.format(), cli.command))
    }

    #[test]
    fn log_json_flag_forms() {
        assert!(
            std::env::var_os("AVIGW_LOG_JSON").is_none(),
            "unset AVIGW_LOG_JSON to run this test: it checks the flag alone"
        );
        assert_eq!(parse(&[]).unwrap(), (LogFormat::Plain, None));
        assert_eq!(parse(&["--log-json"]).unwrap(), (LogFormat::Json, None));
        assert_eq!(parse(&["--log-json=true"]).unwrap().0, LogFormat::Json);
        assert_eq!(parse(&["--log-json=false"]).unwrap().0, LogFormat::Plain);
        // Before or after the subcommand, and never swallowing it as a value.
        assert_eq!(
            parse(&["--log-json", "serve"]).unwrap(),
            (LogFormat::Json, Some(Sub::Serve))
        );
        assert_eq!(
            parse(&["serve", "--log-json"]).unwrap(),
            (LogFormat::Json, Some(Sub::Serve))
        );
        assert!(parse(&["--log-json=maybe"]).is_err());
    }
}
