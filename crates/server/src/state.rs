//! What every handler shares: the store, the id generator, the settings and the signing keys.

use std::sync::Arc;

use starling_core::{IdGenerator, Store};

use crate::auth::JwtKeys;
use crate::config::Settings;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub ids: IdGenerator,
    pub settings: Settings,
    pub jwt: JwtKeys,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> AppState {
        let jwt = JwtKeys::new(&settings.jwt_secret, &settings.public_url);
        AppState(Arc::new(Inner { store, ids: IdGenerator::new(settings.node_id), jwt, settings }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
