//! `starling-loadgen`: drives a Starling server through its public API the way many clients
//! would, and reports what it measured together with what the server spent (CPU seconds and
//! memory read from `/proc`), because the load generator shares the machine's cores with it.
//!
//! Scenarios (each prints a summary and writes JSON with `--out`):
//! * `connections`: open and hold N idle streams; memory per connection, CPU while idle;
//! * `fanout`: one author, F followers streaming, posts at rate R; post-to-receipt latency;
//! * `writes`: many authors posting at once over a Zipf follow graph; posts/s and latency;
//! * `reads`: home timelines and single statuses read as fast as the server answers.
//!
//! Streams are held by worker processes (this binary's hidden `worker` command), because one
//! process may hold only so many open files, each binding its sockets to several loopback
//! source addresses, because one address pair runs out of ports.

mod api;
mod fleet;
mod report;
mod scenarios;
mod server;
mod worker;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "starling-loadgen", about = "Load generator for Starling")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Open and hold N idle streams; report memory per connection and idle CPU.
    Connections {
        #[command(flatten)]
        common: Common,
        /// Streams to open.
        #[arg(long, default_value_t = 1000)]
        streams: usize,
        /// Accounts the streams belong to (several streams per account, like several tabs).
        #[arg(long, default_value_t = 100)]
        accounts: usize,
        /// Seconds to hold them idle while measuring CPU.
        #[arg(long, default_value_t = 30)]
        hold: u64,
    },
    /// One author with F streaming followers posts at rate R.
    Fanout {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1000)]
        followers: usize,
        /// Posts per second.
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
        /// Posts in all.
        #[arg(long, default_value_t = 100)]
        posts: usize,
    },
    /// Many authors post concurrently over a follow graph with Zipf-distributed follower counts.
    Writes {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1000)]
        accounts: usize,
        /// Follows each account makes, towards Zipf-popular accounts.
        #[arg(long, default_value_t = 50)]
        follows: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds of posting.
        #[arg(long, default_value_t = 20)]
        duration: u64,
    },
    /// A burst of posts far past what the server serves at once: shedding, memory, draining.
    Burst {
        #[command(flatten)]
        common: Common,
        /// Authors the posts are spread over; one reader follows them all, with a stream open.
        #[arg(long, default_value_t = 100)]
        authors: usize,
        /// Posts in the burst.
        #[arg(long, default_value_t = 100_000)]
        posts: usize,
        /// Clients sending at once (past the server's STARLING_MAX_IN_FLIGHT, some are shed).
        #[arg(long, default_value_t = 2048)]
        concurrency: usize,
    },
    /// Home timelines and statuses read as fast as the server answers.
    Reads {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 200)]
        accounts: usize,
        #[arg(long, default_value_t = 20)]
        follows: usize,
        /// Statuses written before reading.
        #[arg(long, default_value_t = 4000)]
        posts: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds of reading.
        #[arg(long, default_value_t = 20)]
        duration: u64,
    },
    /// Holds streams for the parent process (see `fleet`); not for direct use.
    #[command(hide = true)]
    Worker,
}

/// Where the server is and how the load is spread.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// A running server's base URL. Without it, a server is started from `--starling` on a
    /// fresh data directory (embedded SQLite) and stopped at the end.
    #[arg(long)]
    server: Option<String>,
    /// The running server's process id, for its CPU and memory (with `--server`).
    #[arg(long)]
    server_pid: Option<u32>,
    /// The binary to start when no `--server` is given.
    #[arg(long, default_value = "target/release/starling")]
    starling: PathBuf,
    /// Worker processes that hold the streams (each may hold at most ~19,000).
    #[arg(long, default_value_t = 2)]
    procs: usize,
    /// Loopback source addresses streams connect from (127.0.0.1, 127.0.0.2, ...).
    #[arg(long, default_value_t = 4)]
    sources: u8,
    /// Write the results here as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let result = match cli.command {
            Command::Worker => return worker::run().await,
            Command::Connections { common, streams, accounts, hold } => {
                scenarios::connections::run(&common, streams, accounts, hold).await
            }
            Command::Fanout { common, followers, rate, posts } => {
                scenarios::fanout::run(&common, followers, rate, posts).await
            }
            Command::Writes { common, accounts, follows, concurrency, duration } => {
                scenarios::writes::run(&common, accounts, follows, concurrency, duration).await
            }
            Command::Burst { common, authors, posts, concurrency } => {
                scenarios::burst::run(&common, authors, posts, concurrency).await
            }
            Command::Reads { common, accounts, follows, posts, concurrency, duration } => {
                scenarios::reads::run(&common, accounts, follows, posts, concurrency, duration).await
            }
        }?;
        report::emit(&result)
    })
}
