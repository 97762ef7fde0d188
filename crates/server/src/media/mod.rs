//! Media: uploaded images, checked and cleaned (`image`), and the object store that keeps their
//! files (a directory in the data directory, or an S3-compatible bucket: `s3`), served under
//! `/system/`.

pub mod blurhash;
pub mod image;
pub mod s3;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// Where media files are kept, by key (`media/<id>/original.png`). A directory is made on
/// first use, so that a server that never stores media never touches it.
pub struct MediaFiles {
    /// The directory, for files kept locally.
    dir: Option<PathBuf>,
    store: OnceLock<Arc<dyn ObjectStore>>,
    kind: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("no such file")]
    NotFound,
    #[error("media storage: {0}")]
    Other(String),
}

impl MediaFiles {
    /// Files in `dir`.
    pub fn in_directory(dir: &Path) -> MediaFiles {
        MediaFiles { dir: Some(dir.to_path_buf()), store: OnceLock::new(), kind: "directory" }
    }

    /// Files in an S3-compatible bucket. Only a configuration that cannot work is an error;
    /// the bucket is first asked when the first file is stored.
    pub fn in_bucket(bucket: &s3::Bucket) -> Result<MediaFiles, FilesError> {
        let store = OnceLock::new();
        let _ = store.set(s3::store(bucket)?);
        Ok(MediaFiles { dir: None, store, kind: "s3" })
    }

    /// Where the files are: `directory` or `s3`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    fn store(&self) -> Result<&Arc<dyn ObjectStore>, FilesError> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let Some(dir) = &self.dir else { return Err(FilesError::Other("no media store".into())) };
        std::fs::create_dir_all(dir).map_err(|e| FilesError::Other(e.to_string()))?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| FilesError::Other(e.to_string()))?;
        Ok(self.store.get_or_init(|| Arc::new(store)))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FilesError> {
        let path = ObjectPath::parse(key).map_err(|e| FilesError::Other(e.to_string()))?;
        self.store()?.put(&path, PutPayload::from(bytes)).await.map_err(|e| FilesError::Other(e.to_string()))?;
        Ok(())
    }

    /// Deletes a file; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), FilesError> {
        let path = ObjectPath::parse(key).map_err(|e| FilesError::Other(e.to_string()))?;
        match self.store()?.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(FilesError::Other(e.to_string())),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, FilesError> {
        // A key that does not parse names nothing we stored.
        let path = ObjectPath::parse(key).map_err(|_| FilesError::NotFound)?;
        match self.store()?.get(&path).await {
            Ok(found) => found.bytes().await.map_err(|e| FilesError::Other(e.to_string())),
            Err(object_store::Error::NotFound { .. }) => Err(FilesError::NotFound),
            Err(e) => Err(FilesError::Other(e.to_string())),
        }
    }
}

/// The key of one rendition of a media file.
pub fn key(id: starling_core::Id, rendition: &str, extension: &str) -> String {
    format!("media/{id}/{rendition}.{extension}")
}
