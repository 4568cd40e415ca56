//! A question already answered from the current snapshot is answered in
//! the call layer, before tonic.
//!
//! Every query answer is cached per snapshot, encoded and behind gRPC's
//! length prefix (`answer.rs`). Serving such a hit through tonic still
//! routes the call, decodes the request, runs the handler, encodes the
//! request again for the key, copies the answer into tonic's frame buffer
//! and builds the trailers; for a 13.8 KB `GetAgreement` answer that work
//! and the copy were most of what the call cost beyond a health check. Here
//! the layer reads the request's bytes, looks them up (`get_framed`) and,
//! on a hit, sends the cached bytes as they are with the same headers and
//! trailers tonic sends for a success. Anything else goes to tonic with
//! the bytes read so far put back in front of the body: a miss, a request
//! in another encoding, a client that accepts a compressed answer (tonic
//! compresses it), a body that is not one whole uncompressed message.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body::{Body as HttpBody, Frame};
use http_body_util::BodyExt;
use tonic::Status;
use tonic::body::Body;

use super::answer::{AnswerCache, FRAME_PREFIX};
use super::method;
use crate::query::ReadModel;

/// The most request bytes read before a call is left to tonic: far more
/// than any question to these methods takes.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
const GRPC: &str = "application/grpc";

/// The cached answers the layer may send itself.
#[derive(Clone)]
pub struct CachedAnswers {
    read_model: Arc<ReadModel>,
    cache: Arc<AnswerCache>,
}

/// What the layer does with a call.
pub enum Route {
    /// Send this response: a cached answer.
    Answered(Response<Body>),
    /// Pass the call to tonic; its body is whole again.
    ToTonic(Request<Body>),
}

impl CachedAnswers {
    pub fn new(read_model: Arc<ReadModel>, cache: Arc<AnswerCache>) -> Self {
        Self { read_model, cache }
    }

    /// Answers `request` from the cache when it can (see the module doc).
    pub async fn route(&self, request: Request<Body>) -> Route {
        if !may_answer(&request) {
            return Route::ToTonic(request);
        }
        let (parts, body) = request.into_parts();
        let (whole, body) = read_whole(body).await;
        let hit = whole.and_then(|bytes| self.lookup(parts.uri.path(), &bytes));
        match hit {
            Some(framed) => Route::Answered(answer(framed)),
            None => Route::ToTonic(Request::from_parts(parts, body)),
        }
    }

    fn lookup(&self, method: &str, body: &[u8]) -> Option<Bytes> {
        let message = uncompressed_message(body)?;
        let dataset = self.read_model.snapshot()?;
        self.cache.get_framed(&dataset, method, message)
    }
}

/// A call the cache could answer: a cached method, a plain gRPC request,
/// and an answer tonic would not compress.
fn may_answer(request: &Request<Body>) -> bool {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).map(HeaderValue::as_bytes);
    method::CACHED.contains(&request.uri().path())
        && header(CONTENT_TYPE.as_str()) == Some(GRPC.as_bytes())
        && header("grpc-encoding").is_none_or(|value| value == b"identity")
        && !header("grpc-accept-encoding").is_some_and(accepts_compression)
}

/// Whether a `grpc-accept-encoding` list names an encoding tonic sends.
fn accepts_compression(list: &[u8]) -> bool {
    list.split(|&byte| byte == b',')
        .map(<[u8]>::trim_ascii)
        .any(|encoding| encoding == b"gzip" || encoding == b"zstd")
}

/// The one uncompressed message a unary request body holds, if that is
/// what it holds.
fn uncompressed_message(body: &[u8]) -> Option<&[u8]> {
    let (prefix, message) = body.split_at_checked(FRAME_PREFIX)?;
    let length = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]);
    (prefix[0] == 0 && usize::try_from(length).ok()? == message.len()).then_some(message)
}

/// Reads `body` to its end, up to [`MAX_REQUEST_BYTES`]. Returns its bytes
/// when it was read whole, and in any case a body that yields every frame
/// it had, read or not, for tonic.
async fn read_whole(mut body: Body) -> (Option<Bytes>, Body) {
    let mut read = VecDeque::new();
    let mut pieces = Vec::new();
    let mut size = 0;
    while !body.is_end_stream() {
        let Some(frame) = body.frame().await else {
            break;
        };
        let data = frame.as_ref().ok().and_then(Frame::data_ref).cloned();
        read.push_back(frame);
        match data {
            Some(data) if size + data.len() <= MAX_REQUEST_BYTES => {
                size += data.len();
                pieces.push(data);
            }
            // Too large, trailers, or an error: not a question for the cache.
            _ => return (None, Body::new(Frames::new(read, Some(body)))),
        }
    }
    (Some(joined(pieces)), Body::new(Frames::new(read, None)))
}

/// The pieces in one; a single piece (the usual case) is not copied.
fn joined(pieces: Vec<Bytes>) -> Bytes {
    match <[Bytes; 1]>::try_from(pieces) {
        Ok([only]) => only,
        Err(pieces) => Bytes::from(pieces.concat()),
    }
}

/// A body that yields these frames, then the rest of another body: a
/// request body whose first frames were read already, or a whole answer.
struct Frames {
    read: VecDeque<Result<Frame<Bytes>, Status>>,
    rest: Option<Body>,
}

impl Frames {
    fn new(read: VecDeque<Result<Frame<Bytes>, Status>>, rest: Option<Body>) -> Self {
        Self { read, rest }
    }
}

impl HttpBody for Frames {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(frame) = self.read.pop_front() {
            return Poll::Ready(Some(frame));
        }
        match self.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty() && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }
}

/// A successful unary response as tonic sends it: the message's frame,
/// then `grpc-status: 0`.
fn answer(framed: Bytes) -> Response<Body> {
    let mut trailers = HeaderMap::with_capacity(1);
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let frames = VecDeque::from([Ok(Frame::data(framed)), Ok(Frame::trailers(trailers))]);
    let mut response = Response::new(Body::new(Frames::new(frames, None)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(GRPC));
    response
}

#[cfg(test)]
mod tests;
