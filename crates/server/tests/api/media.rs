//! Media over real HTTP: uploads checked by content, cleaned and measured; files and previews
//! served; attached to statuses, stories and chat messages by their uploader only.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let img =
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| Rgb([(x % 251) as u8, (y % 241) as u8, 90])));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).expect("encodes");
    out
}

/// A JPEG carrying an EXIF segment with a GPS-looking text, as a phone's photo would.
fn photo_with_location() -> Vec<u8> {
    let plain = picture(120, 80, ImageFormat::Jpeg);
    let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS 48.8584N 2.2945E";
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend(&plain[2..]);
    out
}

async fn upload_as(
    app: &TestApp,
    user: &User,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    let response = app.client.post(app.url(path)).bearer_auth(&user.token).multipart(form).send().await.expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn upload(app: &TestApp, user: &User, bytes: Vec<u8>) -> Value {
    let (status, media) = upload_as(app, user, "/api/v2/media", "picture.png", bytes, &[]).await;
    assert_eq!(status, StatusCode::OK, "{media}");
    media
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

async fn fetch(app: &TestApp, url: &str) -> (StatusCode, String, String, Vec<u8>) {
    let response = app.client.get(url).send().await.expect("sent");
    let header =
        |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (status, kind, cache) = (response.status(), header("content-type"), header("cache-control"));
    (status, kind, cache, response.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
}

#[tokio::test]
async fn an_image_is_uploaded_measured_and_served_with_its_preview() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let (status, media) = upload_as(
        &app,
        &alice,
        "/api/v2/media",
        "wide.png",
        picture(1600, 900, ImageFormat::Png),
        &[("description", "a test pattern"), ("focus", "0.5,-0.25")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{media}");
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "a test pattern");
    assert_eq!(
        media["meta"]["original"],
        json!({"width": 1600, "height": 900, "size": "1600x900", "aspect": 1600.0 / 900.0})
    );
    assert_eq!(media["meta"]["small"]["width"], 640);
    assert_eq!(media["meta"]["focus"], json!({"x": 0.5, "y": -0.25}));
    assert_eq!(media["blurhash"].as_str().map(str::len), Some(28));

    let (status, kind, cache, bytes) = fetch(&app, media["url"].as_str().unwrap_or_default()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/png"));
    assert!(cache.contains("immutable"), "{cache}");
    assert_eq!(image::load_from_memory(&bytes)?.width(), 1600);
    let (status, kind, _, bytes) = fetch(&app, media["preview_url"].as_str().unwrap_or_default()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(image::load_from_memory(&bytes)?.width(), 640);
    let (status, ..) = fetch(&app, &app.url("/system/media/1/original.png")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Clients learn what they may upload from the instance.
    for path in ["/api/v1/instance", "/api/v2/instance"] {
        let (_, instance) = app.get(path, None).await;
        let media = &instance["configuration"]["media_attachments"];
        assert_eq!(
            media["supported_mime_types"],
            json!(["image/png", "image/jpeg", "image/gif", "image/webp"]),
            "{path}"
        );
        assert_eq!(media["image_size_limit"], 16 * 1024 * 1024);
    }

    // v1 works too, and the owner may read and describe it until it is used.
    let (status, v1) = upload_as(&app, &alice, "/api/v1/media", "x.gif", picture(10, 10, ImageFormat::Gif), &[]).await;
    assert_eq!((status, v1["url"].as_str().map(|u| u.ends_with(".gif"))), (StatusCode::OK, Some(true)));
    let path = format!("/api/v1/media/{}", id(&v1));
    let (status, described) =
        app.call(Method::PUT, &path, Some(&alice.token), Some(json!({"description": "tiny", "focus": "0,1"}))).await;
    assert_eq!(status, StatusCode::OK, "{described}");
    assert_eq!(
        (described["description"].as_str(), &described["meta"]["focus"]),
        (Some("tiny"), &json!({"x": 0.0, "y": 1.0}))
    );
    let (status, shown) = app.get(&path, Some(&alice.token)).await;
    assert_eq!((status, shown["description"].as_str()), (StatusCode::OK, Some("tiny")));
    let bob = app.sign_up("bob").await;
    let (status, _) = app.get(&path, Some(&bob.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "someone else's upload");
    Ok(())
}

#[tokio::test]
async fn a_webp_image_is_accepted_and_served_as_webp() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    // The image crate encodes WebP (lossless) with the workspace's `webp` feature; a name that
    // says otherwise checks that the content, not the name, decides.
    let webp = picture(900, 300, ImageFormat::WebP);
    assert_eq!(image::guess_format(&webp)?, ImageFormat::WebP);
    let (status, media) = upload_as(&app, &alice, "/api/v2/media", "upload.bin", webp, &[]).await;
    assert_eq!(status, StatusCode::OK, "{media}");
    assert_eq!(media["type"], "image");
    assert_eq!((&media["meta"]["original"]["width"], &media["meta"]["original"]["height"]), (&json!(900), &json!(300)));
    let url = media["url"].as_str().unwrap_or_default();
    assert!(url.ends_with(".webp"), "{url}");
    let (status, kind, _, bytes) = fetch(&app, url).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/webp"));
    assert_eq!(image::guess_format(&bytes)?, ImageFormat::WebP);
    assert_eq!(image::load_from_memory(&bytes)?.width(), 900);
    let (status, kind, _, bytes) = fetch(&app, media["preview_url"].as_str().unwrap_or_default()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/jpeg"), "an opaque picture previews as JPEG");
    assert_eq!(image::load_from_memory(&bytes)?.width(), 640);

    // With transparency, the preview keeps it.
    let clear =
        DynamicImage::ImageRgba8(image::RgbaImage::from_fn(50, 40, |x, _| image::Rgba([200, 10, 10, (x * 5) as u8])));
    let mut webp = Vec::new();
    clear.write_to(&mut Cursor::new(&mut webp), ImageFormat::WebP)?;
    let media = upload(&app, &alice, webp).await;
    let (status, kind, _, bytes) = fetch(&app, media["preview_url"].as_str().unwrap_or_default()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/png"));
    assert!(image::load_from_memory(&bytes)?.color().has_alpha());
    Ok(())
}

#[tokio::test]
async fn the_files_of_a_statuss_media_are_served_from_the_urls_it_gives() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let png = upload(&app, &alice, picture(800, 600, ImageFormat::Png)).await;
    let webp = upload(&app, &alice, picture(120, 90, ImageFormat::WebP)).await;
    let posted = app.post_status(&alice, json!({"status": "two pictures", "media_ids": [id(&png), id(&webp)]})).await;
    // The URLs as a reader gets them, with the status, not as the upload answered.
    let (status, shown) = app.get(&format!("/api/v1/statuses/{}", id(&posted)), None).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let attached = shown["media_attachments"].as_array().cloned().unwrap_or_default();
    assert_eq!(attached.len(), 2, "{shown}");
    // A picture no larger than a preview is previewed at its own size.
    for (media, original, width, preview, preview_width) in
        [(&attached[0], "image/png", 800, "image/jpeg", 640), (&attached[1], "image/webp", 120, "image/jpeg", 120)]
    {
        let (status, kind, _, bytes) = fetch(&app, media["url"].as_str().unwrap_or_default()).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, original), "{media}");
        assert_eq!(image::load_from_memory(&bytes)?.width(), width);
        let (status, kind, _, bytes) = fetch(&app, media["preview_url"].as_str().unwrap_or_default()).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, preview), "{media}");
        assert_eq!(image::load_from_memory(&bytes)?.width(), preview_width);
        assert_eq!(media["meta"]["small"]["width"], preview_width, "{media}");
    }
    Ok(())
}

#[tokio::test]
async fn what_is_not_an_image_is_refused_whatever_its_name() -> TestResult {
    let app = spawn_app_with(|s| s.media_max_bytes = 64 * 1024).await;
    let alice = app.sign_up("alice").await;
    let (status, error) =
        upload_as(&app, &alice, "/api/v2/media", "cat.png", b"I am a text file, not a cat".to_vec(), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"].as_str().unwrap_or_default().contains("not an image"), "{error}");
    let png = picture(64, 64, ImageFormat::Png);
    let (status, _) = upload_as(&app, &alice, "/api/v2/media", "half.png", png[..png.len() / 2].to_vec(), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a truncated image");
    let (status, _) =
        upload_as(&app, &alice, "/api/v2/media", "p.png", picture(8, 8, ImageFormat::Png), &[("focus", "3,3")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = upload_as(&app, &alice, "/api/v2/media", "big.png", vec![0x89; 200 * 1024], &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let form = Form::new().text("description", "no file");
    let response = app.client.post(app.url("/api/v2/media")).bearer_auth(&alice.token).multipart(form).send().await?;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app.client.post(app.url("/api/v2/media")).multipart(Form::new()).send().await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn a_photos_location_is_stripped_before_it_is_stored() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let photo = photo_with_location();
    assert!(photo.windows(4).any(|w| w == b"Exif"));
    let (status, media) = upload_as(&app, &alice, "/api/v2/media", "IMG_0001.JPG", photo, &[]).await;
    assert_eq!(status, StatusCode::OK, "{media}");
    for url in [&media["url"], &media["preview_url"]] {
        let (status, kind, _, bytes) = fetch(&app, url.as_str().unwrap_or_default()).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/jpeg"));
        assert!(!bytes.windows(4).any(|w| w == b"Exif") && !bytes.windows(3).any(|w| w == b"GPS"), "{url}");
    }
    Ok(())
}

#[tokio::test]
async fn media_are_attached_to_statuses_stories_and_chat_messages_by_their_uploader_only() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let first = upload(&app, &alice, picture(40, 30, ImageFormat::Png)).await;
    let second = upload(&app, &alice, picture(30, 40, ImageFormat::Jpeg)).await;

    // A status of pictures alone, in the order given.
    let status = app.post_status(&alice, json!({"status": "", "media_ids": [id(&second), id(&first)]})).await;
    assert_eq!(ids(&status["media_attachments"]), vec![id(&second), id(&first)]);
    let (_, shown) = app.get(&format!("/api/v1/statuses/{}", id(&status)), None).await;
    assert_eq!(shown["media_attachments"][0]["url"], second["url"]);
    let (_, listed) = app.get(&format!("/api/v1/accounts/{}/statuses?only_media=true", alice.id), None).await;
    app.say(&alice, "words only").await;
    assert_eq!(ids(&listed), vec![id(&status)]);
    let (_, listed) = app.get(&format!("/api/v1/accounts/{}/statuses?only_media=true", alice.id), None).await;
    assert_eq!(ids(&listed), vec![id(&status)]);

    // Used once; never by someone else; at most four; described no more once used.
    for (user, body) in [
        (&alice, json!({"status": "again", "media_ids": [id(&first)]})),
        (
            &bob,
            json!({"status": "mine now", "media_ids": [id(&upload(&app, &alice, picture(5, 5, ImageFormat::Png)).await)]}),
        ),
        (&alice, json!({"status": "a missing one", "media_ids": ["12345"]})),
    ] {
        let (code, error) = app.post("/api/v1/statuses", Some(&user.token), body.clone()).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {error}");
    }
    let mut five = Vec::new();
    for _ in 0..5 {
        five.push(id(&upload(&app, &alice, picture(4, 4, ImageFormat::Png)).await));
    }
    let (code, _) =
        app.post("/api/v1/statuses", Some(&alice.token), json!({"status": "five", "media_ids": five})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let (code, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/media/{}", id(&first)),
            Some(&alice.token),
            Some(json!({"description": "late"})),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    // An edit that keeps the media is fine; one that changes them is refused.
    let edit = format!("/api/v1/statuses/{}", id(&status));
    let (code, edited) = app
        .call(
            Method::PUT,
            &edit,
            Some(&alice.token),
            Some(json!({"status": "captioned", "media_ids": [id(&second), id(&first)]})),
        )
        .await;
    assert_eq!((code, edited["media_attachments"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "{edited}");
    let (code, _) =
        app.call(Method::PUT, &edit, Some(&alice.token), Some(json!({"status": "x", "media_ids": [id(&first)]}))).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

    // Stories and chat messages carry them too, text or not.
    let for_story = upload(&app, &alice, picture(60, 90, ImageFormat::Png)).await;
    let (code, story) = app.post("/api/v1/stories", Some(&alice.token), json!({"media_ids": [id(&for_story)]})).await;
    assert_eq!(code, StatusCode::OK, "{story}");
    assert_eq!(ids(&story["media_attachments"]), vec![id(&for_story)]);
    let (code, chat) = app.post("/api/v1/chats", Some(&bob.token), json!({"account_ids": [alice.id]})).await;
    assert_eq!(code, StatusCode::OK);
    let for_chat = upload(&app, &bob, picture(20, 20, ImageFormat::Png)).await;
    let path = format!("/api/v1/chats/{}/messages", id(&chat));
    let mut alice_stream = app.stream(&format!("stream=user&access_token={}", alice.token)).await;
    let (code, sent) = app.post(&path, Some(&bob.token), json!({"media_ids": [id(&for_chat)]})).await;
    assert_eq!(code, StatusCode::OK, "{sent}");
    assert_eq!(ids(&sent["media_attachments"]), vec![id(&for_chat)]);
    let live = alice_stream.next_of(&["chat.message"]).await;
    assert_eq!(live.json()["media_attachments"][0]["id"], id(&for_chat).as_str());
    let (code, _) = app.post(&path, Some(&bob.token), json!({"content": ""})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "neither words nor pictures");
    Ok(())
}

#[tokio::test]
async fn uploads_nothing_carries_are_deleted_with_their_files() -> TestResult {
    let app = spawn_app_with(|s| s.media_unattached_ttl = std::time::Duration::from_secs(1)).await;
    let alice = app.sign_up("alice").await;
    let kept = upload(&app, &alice, picture(12, 12, ImageFormat::Png)).await;
    app.post_status(&alice, json!({"status": "keeps its picture", "media_ids": [id(&kept)]})).await;
    let dropped = upload(&app, &alice, picture(12, 12, ImageFormat::Png)).await;
    let url = dropped["url"].as_str().unwrap_or_default().to_string();
    assert_eq!(fetch(&app, &url).await.0, StatusCode::OK);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (status, _) = app.get(&format!("/api/v1/media/{}", id(&dropped)), Some(&alice.token)).await;
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the abandoned upload was not deleted");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND, "its file went with it");
    assert_eq!(fetch(&app, dropped["preview_url"].as_str().unwrap_or_default()).await.0, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&format!("/api/v1/media/{}", id(&kept)), Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK, "attached media stay");
    assert_eq!(fetch(&app, kept["url"].as_str().unwrap_or_default()).await.0, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn media_streams_carry_public_statuses_with_media_only() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let mut media_stream = app.stream("stream=public:media").await;
    let mut local_media = app.stream("stream=public:local:media").await;
    app.say(&alice, "no picture here").await;
    let picture_id = id(&upload(&app, &alice, picture(8, 8, ImageFormat::Png)).await);
    let with = app.post_status(&alice, json!({"status": "look", "media_ids": [picture_id]})).await;
    // The status without media, posted first, never came: the first message is the picture.
    for stream in [&mut media_stream, &mut local_media] {
        let msg = stream.next().await;
        assert_eq!((msg.event.as_str(), msg.json()["id"].as_str()), ("update", with["id"].as_str()), "{msg:?}");
    }
    let gone = with["id"].as_str().unwrap_or_default();
    app.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{gone}"), Some(&alice.token), None).await;
    let deleted = local_media.next().await;
    assert_eq!(
        (deleted.event.as_str(), deleted.payload.as_str(), deleted.stream),
        ("delete", gone, vec!["public:local:media".to_string()])
    );
    Ok(())
}

#[tokio::test]
async fn an_upload_larger_than_an_api_request_is_accepted_up_to_the_media_limit() -> TestResult {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    // Noise does not compress: a PNG of a few megabytes, past the 1 MiB that other requests get.
    let mut state = 0x2545_f491_u32;
    let noise = RgbImage::from_fn(1100, 1000, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        Rgb([a, b, c])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(noise).write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)?;
    assert!(bytes.len() > 2 * 1024 * 1024, "{} bytes", bytes.len());
    let (status, media) = upload_as(&app, &alice, "/api/v2/media", "noise.png", bytes, &[]).await;
    assert_eq!(status, StatusCode::OK, "{media}");
    assert_eq!(media["meta"]["original"]["width"], 1100);
    Ok(())
}

/// The S3-compatible server the bucket tests use (`scripts/test` starts one); `None`, said
/// loudly, when there is none, and a failure instead when every test is required.
fn s3_url() -> Option<String> {
    match std::env::var("STARLING_TEST_S3_URL") {
        Ok(url) => Some(url.trim_end_matches('/').to_string()),
        Err(_) => {
            let message = "*** S3 media bucket tests SKIPPED: STARLING_TEST_S3_URL is not set ***";
            assert!(std::env::var_os("STARLING_REQUIRE_ALL").is_none(), "{message}");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{message}\n").as_bytes());
            None
        }
    }
}

/// The keys in `bucket`, from the server's own listing (ListObjectsV2).
async fn bucket_keys(client: &reqwest::Client, endpoint: &str, bucket: &str) -> Vec<String> {
    let listing = client.get(format!("{endpoint}/{bucket}?list-type=2")).send().await.expect("lists");
    assert_eq!(listing.status(), StatusCode::OK);
    let xml = listing.text().await.unwrap_or_default();
    xml.split("<Key>").skip(1).filter_map(|rest| rest.split("</Key>").next()).map(String::from).collect()
}

#[tokio::test]
async fn media_files_can_live_in_an_s3_bucket() -> TestResult {
    let Some(endpoint) = s3_url() else { return Ok(()) };
    // Unique per test run: `starling-test-<pid>-<n>-<random>`.
    let bucket = unique_redis_prefix().trim_end_matches(':').replace(':', "-");
    let client = reqwest::Client::new();
    let created = client.put(format!("{endpoint}/{bucket}")).send().await?;
    assert!(created.status().is_success(), "creating the bucket: {}", created.status());
    let config = starling_server::media::s3::Bucket {
        name: bucket.clone(),
        endpoint: Some(endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: "starling".into(),
        secret_access_key: "starling-secret".into(),
    };
    let dir = temp_dir();
    let app = spawn_app_in(dir.clone(), |s| {
        s.media_bucket = Some(config);
        s.media_unattached_ttl = std::time::Duration::from_secs(1);
    })
    .await;
    assert_eq!(app.state.media.kind(), "s3");
    let alice = app.sign_up("alice").await;
    let kept = upload(&app, &alice, picture(300, 200, ImageFormat::Png)).await;
    app.post_status(&alice, json!({"status": "from the bucket", "media_ids": [id(&kept)]})).await;

    // Stored in the bucket, not in the data directory, and served from it.
    let keys = bucket_keys(&client, &endpoint, &bucket).await;
    let original = format!("media/{}/original.png", id(&kept));
    assert!(keys.contains(&original), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with(&format!("media/{}/small.", id(&kept)))), "{keys:?}");
    assert!(!dir.join("media").exists(), "nothing written locally");
    let (status, kind, cache, bytes) = fetch(&app, kept["url"].as_str().unwrap_or_default()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/png"));
    assert!(cache.contains("immutable"), "{cache}");
    assert_eq!(image::load_from_memory(&bytes)?.width(), 300);
    // The objects are private: only signed requests, the server's, read them.
    let anonymous = client.get(format!("{endpoint}/{bucket}/{original}")).send().await?;
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);

    // An abandoned upload's files leave the bucket with it.
    let dropped = upload(&app, &alice, picture(20, 20, ImageFormat::Png)).await;
    let dropped_key = format!("media/{}/original.png", id(&dropped));
    assert!(bucket_keys(&client, &endpoint, &bucket).await.contains(&dropped_key));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while bucket_keys(&client, &endpoint, &bucket).await.iter().any(|k| k.contains(&id(&dropped))) {
        assert!(tokio::time::Instant::now() < deadline, "the abandoned upload's files stayed");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(fetch(&app, dropped["url"].as_str().unwrap_or_default()).await.0, StatusCode::NOT_FOUND);
    assert!(bucket_keys(&client, &endpoint, &bucket).await.contains(&original), "attached media stay");
    Ok(())
}
