//! Reading a response body within a size limit, counted after
//! decompression, so neither a huge answer nor a gzip bomb can exhaust
//! memory: whole (for answers an adapter parses at once) or piece by piece
//! into a [`BodySink`] (for answers too large to hold).

use bytes::{Bytes, BytesMut};

use super::FetchError;
use super::retry::{Failure, classify_body_error};

/// Largest buffer reserved up front from a declared `Content-Length`, so a
/// lying header cannot make us allocate the whole limit before any data arrives.
const MAX_PREALLOCATION: usize = 8 * 1024 * 1024;

/// Takes a 2xx body as it arrives, for [`HttpClient::get_into`](super::HttpClient::get_into).
#[tonic::async_trait]
pub trait BodySink: Send {
    /// An attempt's body begins; whatever an earlier attempt delivered is void.
    async fn start(&mut self) -> Result<(), SinkStopped>;
    /// The next piece of the body (decompressed).
    async fn piece(&mut self, piece: Bytes) -> Result<(), SinkStopped>;
}

/// A [`BodySink`] wants no more of this body: it found it unusable and
/// keeps the reason itself. The fetch ends with [`FetchError::Stopped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkStopped;

/// Reads the body chunk by chunk, failing as soon as it exceeds `limit`.
pub(super) async fn read(mut response: reqwest::Response, limit: usize) -> Result<Bytes, Failure> {
    let declared = declared_length(&response, limit)?;
    let capacity = declared
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(0)
        .min(MAX_PREALLOCATION);
    let mut body = BytesMut::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await.map_err(classify_body_error)? {
        if chunk.len() > limit - body.len() {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Hands the body to `sink` piece by piece, failing as soon as it exceeds `limit`.
pub(super) async fn stream(
    mut response: reqwest::Response,
    limit: usize,
    sink: &mut dyn BodySink,
) -> Result<(), Failure> {
    declared_length(&response, limit)?;
    let mut received = 0_usize;
    while let Some(piece) = response.chunk().await.map_err(classify_body_error)? {
        received = received.saturating_add(piece.len());
        if received > limit {
            return Err(too_large(limit));
        }
        sink.piece(piece)
            .await
            .map_err(|_| Failure::Fatal(FetchError::Stopped))?;
    }
    Ok(())
}

/// The declared `Content-Length`; one over `limit` fails before any read.
fn declared_length(response: &reqwest::Response, limit: usize) -> Result<Option<u64>, Failure> {
    let declared = response.content_length();
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large(limit));
    }
    Ok(declared)
}

fn too_large(limit: usize) -> Failure {
    Failure::Fatal(FetchError::TooLarge { limit })
}
