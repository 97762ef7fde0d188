//! The `starling` binary: parse flags, start logging, load settings, hand over to the library.

mod admin;
mod events;
mod partitions;
mod replay;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "starling", version, about = "A real-time microblogging server with a Mastodon-compatible API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    options: settings::Options,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Rebuild counters and notifications from the event log, compare them with the live ones
    /// and report the differences; exits with 1 if there are any.
    Replay,
    /// List the monthly partitions of statuses and the event log (PostgreSQL), after making
    /// the months ahead that are missing.
    Partitions,
    /// Operator tasks: create users, reset passwords, give roles, suspend and unsuspend
    /// accounts, read reports.
    Admin {
        #[command(subcommand)]
        action: admin::Admin,
    },
    /// Print the events published to NATS JetStream, one JSON object per line, through the
    /// durable consumer NAME: each run resumes after the last event an earlier run printed.
    Events {
        /// The durable consumer's name; JetStream remembers its position.
        #[arg(long, default_value = "starling-events")]
        durable: String,
        /// Stop after this many events.
        #[arg(long)]
        max: Option<usize>,
        /// Keep waiting for new events instead of stopping once caught up.
        #[arg(long)]
        follow: bool,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    settings::init_tracing(&cli.options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let settings = cli.options.settings()?;
        match cli.command {
            Command::Serve => starling_server::run(settings, shutdown_signal()).await.map(|()| ExitCode::SUCCESS),
            Command::Migrate => {
                starling_server::open_store(&settings).await?;
                tracing::info!("migrations applied");
                Ok(ExitCode::SUCCESS)
            }
            Command::Admin { action } => {
                admin::run(&settings, action).await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Events { durable, max, follow } => {
                events::run(&settings, &durable, max, follow).await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Partitions => {
                partitions::run(&settings).await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Replay => {
                let matches = replay::run(&settings).await?;
                Ok(if matches { ExitCode::SUCCESS } else { ExitCode::FAILURE })
            }
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining connections");
}
