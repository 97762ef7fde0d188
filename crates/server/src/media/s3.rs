//! Media files in an S3-compatible bucket (AWS S3, MinIO, Garage, Ceph, R2 …), through
//! `object_store`'s S3 client. Its requests are sent with the reqwest client the rest of the
//! server links already, rather than the second reqwest and TLS stack its `aws` feature would
//! bring (see the note in the workspace's `Cargo.toml`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http_body_util::BodyExt;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpResponseBody,
    HttpService,
};

use super::FilesError;

/// Where the bucket is and how to sign in to it.
#[derive(Clone)]
pub struct Bucket {
    pub name: String,
    /// An S3-compatible service's URL (`http://127.0.0.1:9000`); AWS's own endpoints when
    /// `None`. Plain HTTP is allowed only when it is named here.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .finish()
    }
}

/// The object store of `bucket`. Nothing is sent until the first file is.
pub fn store(bucket: &Bucket) -> Result<Arc<dyn ObjectStore>, FilesError> {
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&bucket.name)
        .with_region(&bucket.region)
        .with_access_key_id(&bucket.access_key_id)
        .with_secret_access_key(&bucket.secret_access_key)
        .with_http_connector(Reqwest);
    if let Some(endpoint) = &bucket.endpoint {
        builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
    }
    let store = builder.build().map_err(|e| FilesError::Other(e.to_string()))?;
    Ok(Arc::new(store))
}

/// How long one request to the bucket may take, and its connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Reqwest;

impl HttpConnector for Reqwest {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| object_store::Error::Generic { store: "S3", source: Box::new(e) })?;
        Ok(HttpClient::new(Client(client)))
    }
}

#[derive(Debug)]
struct Client(reqwest::Client);

fn kind(e: &reqwest::Error) -> HttpErrorKind {
    if e.is_connect() {
        HttpErrorKind::Connect
    } else if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_body() || e.is_decode() {
        HttpErrorKind::Decode
    } else if e.is_request() {
        HttpErrorKind::Request
    } else {
        HttpErrorKind::Unknown
    }
}

fn failed(e: reqwest::Error) -> HttpError {
    HttpError::new(kind(&e), e)
}

#[async_trait]
impl HttpService for Client {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(|e| HttpError::new(HttpErrorKind::Request, e))?;
        // Media files are small enough to send whole; the body may be several chunks.
        let body = body.collect().await.map_err(|e| HttpError::new(HttpErrorKind::Request, e))?.to_bytes();
        let mut outgoing = reqwest::Request::new(parts.method, url);
        *outgoing.headers_mut() = parts.headers;
        *outgoing.body_mut() = Some(reqwest::Body::from(body));
        let response = self.0.execute(outgoing).await.map_err(failed)?;
        let response: axum::http::Response<reqwest::Body> = response.into();
        let (parts, body) = response.into_parts();
        Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body.map_err(failed))))
    }
}
