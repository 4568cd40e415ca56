//! Compressed answers, when the operator turns them on
//! (`--compress-answers gzip|zstd`).
//!
//! tonic compresses every message it sends afresh, so a cached answer would
//! be compressed again on every call. Query answers are therefore not given
//! to tonic's compression: the call layer notes on the request that its
//! client accepts the configured encoding ([`CompressFor`]); the handler
//! takes the compressed message from the snapshot's cache (compressing and
//! keeping it the first time) and attaches it to its response
//! ([`CompressedAnswer`]); and [`finish`] sends that frame in place of the
//! plain one tonic wrote, under tonic's own headers and trailers, with
//! `grpc-encoding` set. Every other response (errors, streams, the refresh
//! and health services) is untouched; the refresh service compresses
//! through tonic.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Response};
use http_body::{Body as HttpBody, Frame};
use tonic::Status;
use tonic::body::Body;

use crate::config::AnswerCompression;

use super::errors;

/// On a request: its client accepts answers in this encoding, and the
/// operator turned it on.
#[derive(Debug, Clone, Copy)]
pub struct CompressFor(pub AnswerCompression);

/// On a response: the whole gRPC frame (prefix and compressed message) to
/// send in place of the plain one.
#[derive(Debug, Clone)]
pub struct CompressedAnswer {
    pub encoding: AnswerCompression,
    pub frame: Bytes,
}

const ACCEPT_ENCODING: &str = "grpc-accept-encoding";
const ENCODING: &str = "grpc-encoding";

/// The header name of `encoding` in `grpc-encoding`, or `None` for off.
fn name(encoding: AnswerCompression) -> Option<&'static str> {
    match encoding {
        AnswerCompression::Off => None,
        AnswerCompression::Gzip => Some("gzip"),
        AnswerCompression::Zstd => Some("zstd"),
    }
}

/// The tag a cache key of an answer in `encoding` starts with (the plain
/// answer's is 0).
pub fn tag(encoding: AnswerCompression) -> u8 {
    match encoding {
        AnswerCompression::Off => 0,
        AnswerCompression::Gzip => 1,
        AnswerCompression::Zstd => 2,
    }
}

/// Whether a request with `headers` should get answers in `configured`:
/// the operator turned it on and the client lists it.
pub fn wanted(headers: &HeaderMap, configured: AnswerCompression) -> Option<CompressFor> {
    let wanted = name(configured)?;
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|listed| listed.trim().eq_ignore_ascii_case(wanted))
        .then_some(CompressFor(configured))
}

/// `message` compressed in `encoding` behind gRPC's length prefix with the
/// compressed flag set.
pub fn frame(encoding: AnswerCompression, message: &[u8]) -> Result<Bytes, Status> {
    let compressed = match encoding {
        AnswerCompression::Off => {
            return Err(errors::internal(
                "an answer was compressed with compression off",
            ));
        }
        AnswerCompression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(message).and_then(|()| encoder.finish())
        }
        AnswerCompression::Zstd => zstd::bulk::compress(message, zstd::DEFAULT_COMPRESSION_LEVEL),
    }
    .map_err(|error| errors::internal(format!("could not compress an answer: {error}")))?;
    let length = u32::try_from(compressed.len()).map_err(|_| {
        errors::status(
            tonic::Code::ResourceExhausted,
            errors::reason::ANSWER_TOO_LARGE,
            "the answer is too large to send",
        )
    })?;
    let mut frame = BytesMut::with_capacity(5 + compressed.len());
    frame.put_u8(1);
    frame.put_u32(length);
    frame.put_slice(&compressed);
    Ok(frame.freeze())
}

/// The response as it leaves: with the compressed answer in place of the
/// plain one when its handler attached one.
pub fn finish(mut response: Response<Body>) -> Response<Body> {
    let Some(answer) = response.extensions_mut().remove::<CompressedAnswer>() else {
        return response;
    };
    let Some(encoding) = name(answer.encoding) else {
        return response;
    };
    let (mut parts, plain) = response.into_parts();
    parts
        .headers
        .insert(ENCODING, HeaderValue::from_static(encoding));
    let body = SwappedBody {
        frame: Some(answer.frame),
        inner: plain,
    };
    Response::from_parts(parts, Body::new(body))
}

/// tonic's body with its message frames replaced by one frame of ours; its
/// trailers (the call's status) pass through.
struct SwappedBody {
    frame: Option<Bytes>,
    inner: Body,
}

impl HttpBody for SwappedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(frame) = self.frame.take() {
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        loop {
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) if frame.is_data() => {}
                other => return other,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.frame.is_none() && self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use http_body_util::BodyExt;

    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_str(accept).expect("a header value"),
        );
        headers
    }

    #[test]
    fn compression_is_wanted_only_when_on_and_accepted() {
        let grpcio = headers("identity,deflate,gzip");
        assert!(wanted(&grpcio, AnswerCompression::Gzip).is_some());
        assert!(wanted(&grpcio, AnswerCompression::Off).is_none());
        assert!(wanted(&grpcio, AnswerCompression::Zstd).is_none());
        assert!(wanted(&headers("zstd, gzip"), AnswerCompression::Zstd).is_some());
        assert!(wanted(&HeaderMap::new(), AnswerCompression::Gzip).is_none());
    }

    #[test]
    fn a_gzip_frame_is_flagged_sized_and_decompresses_to_the_message() {
        let message = b"the same answer, again and again and again".repeat(20);
        let frame = frame(AnswerCompression::Gzip, &message).expect("compressed");
        assert_eq!(frame[0], 1, "compressed flag");
        let length = u32::from_be_bytes(frame[1..5].try_into().expect("four bytes"));
        assert_eq!(length as usize, frame.len() - 5);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&frame[5..])
            .read_to_end(&mut plain)
            .expect("gzip");
        assert_eq!(plain, message);
    }

    #[test]
    fn a_zstd_frame_decompresses_to_the_message() {
        let message = b"zstd answer ".repeat(50);
        let frame = frame(AnswerCompression::Zstd, &message).expect("compressed");
        assert_eq!(frame[0], 1);
        let plain = zstd::decode_all(&frame[5..]).expect("zstd");
        assert_eq!(plain, message);
    }

    #[tokio::test]
    async fn finish_sends_the_compressed_frame_and_keeps_the_trailers() {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", HeaderValue::from_static("0"));
        let plain = http_body_util::StreamBody::new(futures_util::stream::iter([
            Ok::<_, Status>(Frame::data(Bytes::from_static(b"\0\0\0\0\x02hi"))),
            Ok(Frame::trailers(trailers)),
        ]));
        let mut response = Response::new(Body::new(plain));
        let compressed = frame(AnswerCompression::Gzip, b"hi").expect("compressed");
        response.extensions_mut().insert(CompressedAnswer {
            encoding: AnswerCompression::Gzip,
            frame: compressed.clone(),
        });

        let response = finish(response);
        assert_eq!(response.headers()[ENCODING], "gzip");
        let collected = response.into_body().collect().await.expect("a body");
        assert_eq!(collected.trailers().expect("trailers")["grpc-status"], "0");
        assert_eq!(collected.to_bytes(), compressed);
    }

    #[test]
    fn a_response_without_a_compressed_answer_is_untouched() {
        let response = finish(Response::new(Body::empty()));
        assert!(response.headers().get(ENCODING).is_none());
    }
}
