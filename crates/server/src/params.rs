//! Request parameters as Mastodon reads them: from the query string, a form body or a JSON
//! body, interchangeably. Arrays arrive as `key[]=a&key[]=b` in forms and as JSON arrays; both
//! become repeated values under `key`. Handlers ask for typed values and get a 422 that names
//! the parameter when one is malformed.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde_json::Value;
use starling_core::Id;

use crate::error::{ApiError, ApiResult};

/// The body limit for API requests; media uploads get their own, larger one.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

fn normalise_key(key: &str) -> String {
    key.strip_suffix("[]").unwrap_or(key).to_string()
}

impl Params {
    pub fn from_query(query: Option<&str>) -> Params {
        let mut params = Params::default();
        if let Some(q) = query {
            params.extend_form(q.as_bytes());
        }
        params
    }

    fn extend_form(&mut self, bytes: &[u8]) {
        self.pairs.extend(form_urlencoded::parse(bytes).map(|(k, v)| (normalise_key(&k), v.into_owned())));
    }

    fn extend_json(&mut self, prefix: &str, value: &Value) {
        match value {
            Value::Null => {}
            Value::Bool(b) => self.pairs.push((prefix.to_string(), b.to_string())),
            Value::Number(n) => self.pairs.push((prefix.to_string(), n.to_string())),
            Value::String(s) => self.pairs.push((prefix.to_string(), s.clone())),
            // An array of objects keeps each object's fields together (`key[0][field]`, read
            // back by `objects`); any other array becomes repeated values under its key.
            Value::Array(items) if items.iter().any(Value::is_object) => {
                for (i, v) in items.iter().enumerate() {
                    self.extend_json(&format!("{prefix}[{i}]"), v);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.extend_json(prefix, v)),
            Value::Object(map) => {
                for (k, v) in map {
                    let key =
                        if prefix.is_empty() { normalise_key(k) } else { format!("{prefix}[{}]", normalise_key(k)) };
                    self.extend_json(&key, v);
                }
            }
        }
    }

    /// No value may hold a NUL character: no field means one, and PostgreSQL cannot store or
    /// even compare one, so that a search or a lookup with it would fail deep in the store.
    fn refuse_nul(&self) -> ApiResult<()> {
        match self.pairs.iter().find(|(_, v)| v.contains('\0')) {
            Some((key, _)) => Err(ApiError::unprocessable(format!("{key} contains invalid characters"))),
            None => Ok(()),
        }
    }

    /// The objects of an array of objects under `key`, each as its fields and their values, in
    /// the order given: from JSON (an array of objects), from forms with indices
    /// (`key[0][field]=…`, also how Rails nests them) or without (`key[][field]=…`, where a
    /// field given again starts the next object).
    pub fn objects(&self, key: &str) -> Vec<Vec<(String, String)>> {
        let mut indexed: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut unindexed: Vec<Vec<(String, String)>> = Vec::new();
        let prefix = format!("{key}[");
        for (k, v) in &self.pairs {
            let Some(rest) = k.strip_prefix(&prefix) else { continue };
            let Some((index, field)) = rest.split_once("][") else { continue };
            let Some(field) = field.strip_suffix(']') else { continue };
            let pair = (field.to_string(), v.clone());
            if index.is_empty() {
                match unindexed.last_mut() {
                    Some(object) if !object.iter().any(|(f, _)| f == field) => object.push(pair),
                    _ => unindexed.push(vec![pair]),
                }
            } else {
                match indexed.iter_mut().find(|(i, _)| i == index) {
                    Some((_, object)) => object.push(pair),
                    None => indexed.push((index.to_string(), vec![pair])),
                }
            }
        }
        indexed.into_iter().map(|(_, object)| object).chain(unindexed).collect()
    }

    /// The last value given for `key`, if any. An empty string counts as given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A value that is present and not blank.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()).collect()
    }

    pub fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        self.get(key).map(|v| boolean(key, v)).transpose()
    }

    pub fn flag(&self, key: &str) -> ApiResult<bool> {
        Ok(self.bool(key)?.unwrap_or(false))
    }

    pub fn id(&self, key: &str) -> ApiResult<Option<Id>> {
        match self.text(key) {
            None => Ok(None),
            Some(v) => {
                v.trim().parse().map(Some).map_err(|_| ApiError::unprocessable(format!("{key} is not a valid id")))
            }
        }
    }

    pub fn ids(&self, key: &str) -> ApiResult<Vec<Id>> {
        self.all(key)
            .into_iter()
            .map(|v| v.trim().parse().map_err(|_| ApiError::unprocessable(format!("{key} contains an invalid id"))))
            .collect()
    }

    pub fn u32(&self, key: &str) -> ApiResult<Option<u32>> {
        match self.text(key) {
            None => Ok(None),
            Some(v) => {
                v.trim().parse().map(Some).map_err(|_| ApiError::unprocessable(format!("{key} must be a number")))
            }
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut params = Params::from_query(req.uri().query());
        let content_type =
            req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!("Request body larger than {MAX_BODY} bytes"))
            } else {
                ApiError::BadRequest(format!("Could not read the request body: {e}"))
            }
        })?;
        if body.iter().all(u8::is_ascii_whitespace) {
            params.refuse_nul()?;
            return Ok(params);
        }
        if content_type.starts_with("application/json") {
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}")))?;
            if !value.is_object() {
                return Err(ApiError::BadRequest("The request body must be a JSON object".into()));
            }
            params.extend_json("", &value);
        } else if content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded") {
            params.extend_form(&body);
        } else {
            return Err(ApiError::BadRequest(format!("Unsupported content type: {content_type}")));
        }
        params.refuse_nul()?;
        Ok(params)
    }
}

/// An object id in the path. A malformed id names nothing, so it is a 404 like a missing one.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| ApiError::NotFound)?;
        raw.parse().map(PathId).map_err(|_| ApiError::NotFound)
    }
}

/// A boolean parameter `key` as Mastodon's clients spell one.
pub fn boolean(key: &str, value: &str) -> ApiResult<bool> {
    match value.trim() {
        "true" | "1" | "on" | "yes" | "True" => Ok(true),
        "false" | "0" | "off" | "no" | "False" | "" => Ok(false),
        _ => Err(ApiError::unprocessable(format!("{key} must be true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_arrays_and_json_arrays_read_the_same() {
        let form = Params::from_query(Some("id[]=1&id[]=2&x=y"));
        let mut json = Params::default();
        json.extend_json("", &serde_json::json!({"id": ["1", 2], "x": "y", "n": null}));
        assert_eq!(form.all("id"), vec!["1", "2"]);
        assert_eq!(json.all("id"), vec!["1", "2"]);
        assert_eq!(json.get("n"), None);
        assert_eq!(form.get("x"), json.get("x"));
    }

    #[test]
    fn booleans_accept_the_usual_spellings_and_refuse_others() {
        let p = Params::from_query(Some("a=true&b=0&c=maybe"));
        assert_eq!(p.bool("a").ok().flatten(), Some(true));
        assert_eq!(p.bool("b").ok().flatten(), Some(false));
        assert!(p.bool("c").is_err());
        assert_eq!(p.bool("d").ok().flatten(), None);
    }

    #[test]
    fn arrays_of_objects_read_the_same_from_json_and_both_form_styles() {
        let mut json = Params::default();
        json.extend_json(
            "",
            &serde_json::json!({"k": [{"keyword": "a", "whole_word": true}, {"keyword": "b"}, {"id": "7", "_destroy": true}]}),
        );
        let indexed = Params::from_query(Some(
            "k[0][keyword]=a&k[0][whole_word]=true&k[1][keyword]=b&k[2][id]=7&k[2][_destroy]=true",
        ));
        let unindexed =
            Params::from_query(Some("k[][keyword]=a&k[][whole_word]=true&k[][keyword]=b&k[][id]=7&k[][_destroy]=true"));
        let pairs =
            |list: &[(&str, &str)]| list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        let expected = vec![
            pairs(&[("keyword", "a"), ("whole_word", "true")]),
            pairs(&[("keyword", "b"), ("id", "7"), ("_destroy", "true")]),
        ];
        // Without indices, only a repeated field can start the next object: `b`'s object takes
        // the `id` that follows it. Indexed and JSON forms keep the three apart.
        assert_eq!(unindexed.objects("k"), expected);
        let three = vec![
            pairs(&[("keyword", "a"), ("whole_word", "true")]),
            pairs(&[("keyword", "b")]),
            pairs(&[("id", "7"), ("_destroy", "true")]),
        ];
        assert_eq!(indexed.objects("k"), three);
        // A JSON object's fields come in no particular order.
        let mut from_json = json.objects("k");
        from_json.iter_mut().for_each(|object| object.sort());
        let mut three = three;
        three.iter_mut().for_each(|object| object.sort());
        assert_eq!(from_json, three);
        assert!(json.objects("other").is_empty());
    }

    #[test]
    fn nested_json_objects_get_bracketed_keys() {
        let mut p = Params::default();
        p.extend_json("", &serde_json::json!({"poll": {"options": ["a", "b"], "expires_in": 60}}));
        assert_eq!(p.all("poll[options]"), vec!["a", "b"]);
        assert_eq!(p.get("poll[expires_in]"), Some("60"));
    }
}
