//! Values the unit tests build their datasets and batches from: an economy
//! code and a source.

use std::sync::Arc;

use crate::domain::{EconomyCode, Source};

pub fn code(text: &str) -> EconomyCode {
    EconomyCode::parse(text).expect("valid code")
}

pub fn source(key: &str) -> Arc<Source> {
    Arc::new(Source {
        key: key.into(),
        title: key.into(),
        publisher: "test".into(),
        url: format!("http://example.test/{key}"),
        published: None,
        retrieved_at: None,
        license: "test".into(),
        redistributable: false,
    })
}
