use std::pin::pin;

use futures_util::stream;
use http::HeaderMap;
use http_body_util::{BodyExt, Full, StreamBody};

use super::*;

/// Distinct bytes, so a piece out of order or repeated shows.
fn payload(seed: usize, len: usize) -> Bytes {
    (0..len).map(|i| (i * 7 + seed * 13) as u8).collect()
}

/// A body of payloads of these lengths, then gRPC's trailers.
fn answer(lengths: &[usize]) -> Body {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", "0".parse().expect("header value"));
    let frames: Vec<Result<Frame<Bytes>, Status>> = lengths
        .iter()
        .enumerate()
        .map(|(seed, &len)| Ok(Frame::data(payload(seed, len))))
        .chain([Ok(Frame::trailers(trailers))])
        .collect();
    Body::new(StreamBody::new(stream::iter(frames)))
}

/// The DATA payloads a body yields, and its trailers.
async fn frames(body: Body) -> (Vec<Bytes>, Option<HeaderMap>) {
    let mut body = pin!(body);
    let (mut data, mut trailers) = (Vec::new(), None);
    while let Some(frame) = body.frame().await {
        match frame.expect("a frame").into_data() {
            Ok(payload) => data.push(payload),
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    (data, trailers)
}

fn lengths(data: &[Bytes]) -> Vec<usize> {
    data.iter().map(Bytes::len).collect()
}

#[tokio::test]
async fn a_mid_sized_answer_leaves_in_pieces_under_1_kib_in_order() {
    let (data, trailers) = frames(SplitBody::wrap(answer(&[3356]))).await;
    assert_eq!(lengths(&data), [1023, 1023, 1023, 287]);
    assert_eq!(data.concat(), payload(0, 3356));
    let trailers = trailers.expect("trailers kept");
    assert_eq!(trailers["grpc-status"], "0");
}

#[tokio::test]
async fn small_and_large_answers_leave_whole() {
    let (data, _) = frames(SplitBody::wrap(answer(&[466, 13_775]))).await;
    assert_eq!(lengths(&data), [466, 13_775]);
    assert_eq!(data[1], payload(1, 13_775));
}

#[tokio::test]
async fn pieces_start_at_1_kib_and_stop_past_8_kib() {
    let (data, _) = frames(SplitBody::wrap(answer(&[1023, 1024, 8192, 8193]))).await;
    let mut expected = vec![1023, 1023, 1];
    expected.extend([1023; 8]);
    expected.push(8);
    expected.push(8193);
    assert_eq!(lengths(&data), expected);
    let sent: usize = data.iter().map(Bytes::len).sum();
    assert_eq!(sent, 1023 + 1024 + 8192 + 8193);
}

#[tokio::test]
async fn the_body_is_not_over_while_a_piece_is_left() {
    let mut body = SplitBody {
        inner: Body::new(Full::new(payload(0, 3000))),
        rest: Bytes::new(),
    };
    assert_eq!(body.size_hint().exact(), Some(3000));
    let first = body.frame().await.expect("a frame").expect("data");
    assert_eq!(first.into_data().expect("data").len(), 1023);
    assert!(!body.is_end_stream());
    assert_eq!(body.size_hint().exact(), Some(3000 - 1023));
    let (rest, _) = frames(Body::new(body)).await;
    assert_eq!(lengths(&rest), [1023, 954]);
}
