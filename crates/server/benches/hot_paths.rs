//! Micro-benchmarks of the hot paths: rendering a status, building the stream messages of one
//! event for many connections, writing a status with its fan-out (into the store's home tables,
//! or none when homes are kept in memory, and the memory fan-out itself), and reading a home
//! page.
//! Run with `cargo bench -p starling-server --bench hot_paths`; the figures are recorded in
//! docs/benchmarks.md.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use starling_core::model::{Account, NewAccount, NewStatus, Role, Status, Timestamp, Visibility};
use starling_core::page::PageRequest;
use starling_core::safety::{Concern, Hidden};
use starling_core::{Id, IdGenerator, Store};
use starling_server::entities::{Renderer, ViewerState};
use starling_server::feeds::memory::MemoryHomes;
use starling_server::realtime::Stream;
use starling_server::realtime::hub::{FrameCache, frames_for};
use starling_server::realtime::route::{Audience, Delivery};
use starling_store::{HomeMode, SqliteStore, StoreOptions};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

fn new_account(ids: &IdGenerator, username: &str) -> NewAccount {
    NewAccount {
        id: ids.next(),
        username: username.to_string(),
        email: format!("{username}@example.org"),
        password_hash: "$argon2id$not-a-real-hash".into(),
        display_name: String::new(),
        locale: "en".into(),
        role: Role::User,
        created_at: Timestamp::now(),
    }
}

fn new_status(ids: &IdGenerator, author: &Account, text: &str) -> NewStatus {
    NewStatus {
        id: ids.next(),
        account_id: author.id,
        app_id: None,
        text: text.to_string(),
        content: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: Visibility::Public,
        language: Some("en".into()),
        in_reply_to_id: None,
        mentions: Vec::new(),
        tags: vec!["rust".into(), "starling".into()],
        idempotency_key: None,
        media_ids: Vec::new(),
        quote_of_id: None,
        created_at: Timestamp::now(),
    }
}

/// A file-backed store (as the server runs it) in a fresh directory, with an author followed
/// by `followers` accounts.
async fn store_with_followers(dir: &std::path::Path, followers: usize) -> (SqliteStore, Account, Vec<Account>) {
    store_with_followers_in(dir, followers, StoreOptions::default()).await
}

async fn store_with_followers_in(
    dir: &std::path::Path,
    followers: usize,
    options: StoreOptions,
) -> (SqliteStore, Account, Vec<Account>) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("a directory");
    let store = SqliteStore::open(&dir.join("bench.db").to_string_lossy(), &options).await.expect("opens");
    let ids = IdGenerator::new(1);
    let author = store.create_account(new_account(&ids, "author")).await.expect("author");
    let mut fans = Vec::new();
    for i in 0..followers {
        let fan = store.create_account(new_account(&ids, &format!("fan{i}"))).await.expect("fan");
        store.follow(fan.id, author.id).await.expect("follow");
        fans.push(fan);
    }
    (store, author, fans)
}

fn a_status(rt: &tokio::runtime::Runtime) -> Status {
    let dir = std::env::temp_dir().join(format!("starling-bench-status-{}", std::process::id()));
    rt.block_on(async {
        let (store, author, _) = store_with_followers(&dir, 0).await;
        let text = "A status of a realistic length, with a #rust tag and a link to https://example.org/some/page, \
                    as people write them.";
        let status = store.create_status(new_status(&IdGenerator::new(2), &author, text)).await.expect("status");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        status
    })
}

fn render(c: &mut Criterion) {
    let rt = runtime();
    let status = a_status(&rt);
    let viewer = ViewerState::default();
    c.bench_function("render/status_json", |b| {
        b.iter(|| {
            let json = Renderer::new("https://social.example").status(black_box(&status), Some(&viewer));
            serde_json::to_string(&json).expect("serialises")
        })
    });
}

fn stream_messages(c: &mut Criterion) {
    let rt = runtime();
    let status = a_status(&rt);
    let payload: Arc<str> =
        serde_json::to_string(&Renderer::new("https://social.example").status(&status, Some(&ViewerState::default())))
            .expect("serialises")
            .into();
    let mut group = c.benchmark_group("stream/messages_for_connections");
    for connections in [1_000usize, 10_000] {
        let users: Vec<Id> = (1..=connections as i64).map(Id).collect();
        let deliveries = vec![Delivery {
            event_id: 42,
            committed_at: Timestamp::now(),
            event: "update",
            audience: Audience::users(users.clone()),
            payload: payload.clone(),
            concern: Concern::status(&status),
        }];
        let streams = [Stream::User];
        // Each reader's blocks and mutes are checked, as for every live message: most block
        // and mute nobody.
        let hidden = Hidden::nobody();
        let now = Timestamp::now();
        group.bench_with_input(BenchmarkId::from_parameter(connections), &users, |b, users| {
            b.iter(|| {
                let mut cache = FrameCache::default();
                let mut frames = 0;
                for user in users {
                    frames += frames_for(Some(*user), Some(&hidden), &streams, &deliveries, &mut cache, now).len();
                }
                frames
            })
        });
    }
    group.finish();
}

fn fan_out(c: &mut Criterion) {
    let rt = runtime();
    for (name, homes) in [
        ("store/create_status_with_followers", HomeMode::Materialised),
        ("store/create_status_pulled", HomeMode::Pulled),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(20);
        for followers in [0usize, 100, 1_000] {
            let dir = std::env::temp_dir().join(format!("starling-bench-fanout-{}-{followers}", std::process::id()));
            let options = StoreOptions { homes, ..StoreOptions::default() };
            let (store, author, _) = rt.block_on(store_with_followers_in(&dir, followers, options));
            let ids = IdGenerator::new(3);
            group.bench_with_input(BenchmarkId::from_parameter(followers), &followers, |b, _| {
                b.iter(|| rt.block_on(store.create_status(new_status(&ids, &author, "fan-out"))).expect("posts"))
            });
            rt.block_on(store.close());
            let _ = std::fs::remove_dir_all(&dir);
        }
        group.finish();
    }
}

/// The fan-out with home timelines in memory (ADR 14): one status id into each follower's home.
fn memory_fan_out(c: &mut Criterion) {
    let mut group = c.benchmark_group("feeds/memory_add_to_homes");
    for homes in [100usize, 1_000, 10_000] {
        let cache = MemoryHomes::new(homes);
        cache.init_offset(0);
        let accounts: Vec<Id> = (0..homes as i64).map(Id).collect();
        let full: Vec<Id> = (0..800).map(Id).collect();
        for &account in &accounts {
            cache.install(account, &full, 0, 800);
        }
        let mut next = 1_000_000_i64;
        group.bench_with_input(BenchmarkId::from_parameter(homes), &homes, |b, _| {
            b.iter(|| {
                next += 1;
                cache.add(black_box(&accounts), Id(next), 800);
            })
        });
    }
    group.finish();
}

fn home_read(c: &mut Criterion) {
    let rt = runtime();
    let dir = std::env::temp_dir().join(format!("starling-bench-home-{}", std::process::id()));
    let (store, author, fans) = rt.block_on(store_with_followers(&dir, 10));
    let ids = IdGenerator::new(4);
    rt.block_on(async {
        for i in 0..200 {
            store.create_status(new_status(&ids, &author, &format!("status {i}"))).await.expect("posts");
        }
    });
    let reader = fans[0].id;
    c.bench_function("store/home_timeline_page_of_20", |b| {
        b.iter(|| rt.block_on(store.home_timeline(reader, PageRequest::first(20))).expect("a page"))
    });
    rt.block_on(store.close());
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, render, stream_messages, fan_out, memory_fan_out, home_read);
criterion_main!(benches);
