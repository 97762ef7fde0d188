//! `starling events`: the event stream from NATS JetStream, one JSON object per line, through a
//! durable consumer, so that each run resumes after the last event the previous one wrote.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use starling_server::Settings;
use starling_server::nats::EventConsumer;

/// Events asked of the server at a time.
const BATCH: usize = 256;
/// How long a run that is not following waits for more before it counts as caught up.
const CAUGHT_UP_AFTER: Duration = Duration::from_secs(1);

pub async fn run(settings: &Settings, durable: &str, max: Option<usize>, follow: bool) -> anyhow::Result<()> {
    let url = settings.nats_url.as_deref().context("`starling events` needs STARLING_NATS_URL")?;
    let consumer = EventConsumer::open(url, &settings.nats_stream, durable)
        .await
        .with_context(|| format!("cannot open the consumer {durable:?} of the stream {}", settings.nats_stream))?;
    let stdout = std::io::stdout();
    let mut written = 0;
    loop {
        let want = max.map_or(BATCH, |max| (max - written).min(BATCH));
        if want == 0 {
            return Ok(());
        }
        let got = consumer
            .next(want, CAUGHT_UP_AFTER, |_, json| {
                // Written and flushed before the event is acknowledged: a line printed is a
                // line the next run does not print again (unless this one dies in between).
                let mut out = stdout.lock();
                out.write_all(json)?;
                out.write_all(b"\n")?;
                out.flush()?;
                Ok(())
            })
            .await?;
        written += got;
        if got == 0 && !follow {
            return Ok(());
        }
    }
}
