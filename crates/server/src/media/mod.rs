//! Media: uploaded images, checked and cleaned (`image`), and the object store that keeps their
//! files (a directory in the data directory), served under `/system/`.

pub mod blurhash;
pub mod image;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// Where media files are kept, by key (`media/<id>/original.png`). The directory is made on
/// first use, so that a server that never stores media never touches it.
pub struct MediaFiles {
    dir: PathBuf,
    store: OnceLock<Arc<dyn ObjectStore>>,
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
        MediaFiles { dir: dir.to_path_buf(), store: OnceLock::new() }
    }

    fn store(&self) -> Result<&Arc<dyn ObjectStore>, FilesError> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| FilesError::Other(e.to_string()))?;
        let store = LocalFileSystem::new_with_prefix(&self.dir).map_err(|e| FilesError::Other(e.to_string()))?;
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
