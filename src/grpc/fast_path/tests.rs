use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use prost::Message;

use super::*;

fn framed(message: &[u8]) -> Vec<u8> {
    let mut body = vec![0];
    body.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    body.extend_from_slice(message);
    body
}

fn request(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::post(path).header("content-type", "application/grpc");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).expect("a request")
}

/// A body that arrives as these data frames.
fn body_of(pieces: &[&[u8]]) -> Body {
    let frames: Vec<Result<Frame<Bytes>, Status>> = pieces
        .iter()
        .map(|piece| Ok(Frame::data(Bytes::copy_from_slice(piece))))
        .collect();
    Body::new(StreamBody::new(futures_util::stream::iter(frames)))
}

async fn all_bytes(body: Body) -> Vec<u8> {
    body.collect()
        .await
        .expect("the body reads")
        .to_bytes()
        .to_vec()
}

#[test]
fn only_plain_requests_to_cached_methods_may_be_answered_here() {
    assert!(may_answer(&request(method::GET_AGREEMENT, &[])));
    assert!(may_answer(&request(
        method::RANK_PARTNERS,
        &[
            ("grpc-encoding", "identity"),
            ("grpc-accept-encoding", "identity, deflate")
        ]
    )));
    for (path, headers) in [
        ("/grpc.health.v1.Health/Check", &[][..]),
        ("/tradepact.v1.RefreshService/TriggerRefresh", &[][..]),
        ("/tradepact.v1.TradeService/GetAgreement", &[][..]),
        (method::GET_AGREEMENT, &[("grpc-encoding", "gzip")][..]),
        (
            method::GET_AGREEMENT,
            &[("grpc-accept-encoding", "identity, deflate, gzip")][..],
        ),
        (
            method::GET_AGREEMENT,
            &[("grpc-accept-encoding", "zstd")][..],
        ),
    ] {
        assert!(!may_answer(&request(path, headers)), "{path} {headers:?}");
    }
    let mut other_type = request(method::GET_AGREEMENT, &[]);
    other_type.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/grpc-web"),
    );
    assert!(!may_answer(&other_type));
}

#[test]
fn the_message_is_taken_only_from_one_whole_uncompressed_frame() {
    let message = b"\x0a\x07kor-khm";
    assert_eq!(uncompressed_message(&framed(message)), Some(&message[..]));
    let mut compressed = framed(message);
    compressed[0] = 1;
    assert_eq!(uncompressed_message(&compressed), None);
    let mut short = framed(message);
    short.pop();
    assert_eq!(uncompressed_message(&short), None);
    let mut two = framed(message);
    two.extend_from_slice(&framed(message));
    assert_eq!(uncompressed_message(&two), None);
    assert_eq!(uncompressed_message(&[0, 0, 0]), None);
    assert_eq!(uncompressed_message(&framed(b"")), Some(&b""[..]));
}

#[tokio::test]
async fn a_body_read_whole_is_joined_and_still_yields_every_frame() {
    let (whole, replay) = read_whole(body_of(&[b"abc", b"defg"])).await;
    assert_eq!(whole.as_deref(), Some(&b"abcdefg"[..]));
    assert_eq!(all_bytes(replay).await, b"abcdefg");

    let (whole, _) = read_whole(body_of(&[])).await;
    assert_eq!(whole.as_deref(), Some(&b""[..]));
}

#[tokio::test]
async fn a_body_too_large_is_passed_on_complete_and_not_read_to_its_end() {
    let big = vec![7u8; MAX_REQUEST_BYTES];
    let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&pulled);
    let frames = [&b"head"[..], &big, b"tail"]
        .map(|piece| Ok::<_, Status>(Frame::data(Bytes::copy_from_slice(piece))));
    let stream = futures_util::StreamExt::inspect(futures_util::stream::iter(frames), move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let (whole, replay) = read_whole(Body::new(StreamBody::new(stream))).await;
    assert_eq!(whole, None);
    assert_eq!(
        pulled.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "reading stopped at the frame that passed the limit"
    );
    assert_eq!(
        all_bytes(replay).await,
        [&b"head"[..], &big, b"tail"].concat()
    );
}

#[tokio::test]
async fn the_answer_is_the_cached_frame_then_status_ok() {
    let cached = Bytes::from(framed(b"answer"));
    let response = answer(cached.clone());
    assert_eq!(response.headers()[CONTENT_TYPE], "application/grpc");
    let collected = response.into_body().collect().await.expect("reads");
    let trailers = collected.trailers().cloned().expect("trailers");
    assert_eq!(trailers["grpc-status"], "0");
    assert_eq!(trailers.len(), 1);
    assert_eq!(collected.to_bytes(), cached);
}

#[test]
fn every_cached_method_is_a_method_tradepact_serves() {
    let descriptors = prost_types::FileDescriptorSet::decode(crate::grpc::pb::FILE_DESCRIPTOR_SET)
        .expect("decodes");
    let served: Vec<String> = descriptors
        .file
        .iter()
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service.method.iter().map(move |method| {
                    format!("/{}.{}/{}", file.package(), service.name(), method.name())
                })
            })
        })
        .collect();
    for path in method::CACHED {
        assert!(
            served.iter().any(|served| served == path),
            "{path} in {served:?}"
        );
    }
}
