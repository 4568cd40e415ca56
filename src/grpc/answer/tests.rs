use prost::Message;

use super::*;
use crate::grpc::pb;

const GET_AGREEMENT: &str = "/tradepact.v1.AgreementService/GetAgreement";
const LIST_ROUNDS: &str = "/tradepact.v1.AgreementService/ListNegotiationRounds";

fn routed<R>(path: &str, message: R) -> tonic::Request<R> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(CallPath(Arc::from(path)));
    request
}

fn get(id: &str) -> pb::GetAgreementRequest {
    pb::GetAgreementRequest {
        id: id.into(),
        ..Default::default()
    }
}

fn question(path: &str, id: &str) -> Question {
    Question::of(routed(path, get(id))).expect("routed").0
}

#[test]
fn a_question_is_keyed_by_its_route_and_its_request() {
    let asked = question(GET_AGREEMENT, "kor-khm");
    assert_eq!(asked.path(), GET_AGREEMENT);
    assert_eq!(asked.key(), question(GET_AGREEMENT, "kor-khm").key());
    assert_ne!(asked.key(), question(GET_AGREEMENT, "kor-chl").key());
    assert_ne!(
        asked.key(),
        question(LIST_ROUNDS, "kor-khm").key(),
        "the same bytes on another method are another question"
    );
    let sent = get("kor-khm").encode_to_vec();
    assert!(asked.key().ends_with(&sent));
}

#[test]
fn a_request_without_its_route_is_refused_not_answered_uncached() {
    let error = Question::of(tonic::Request::new(get("kor-khm")))
        .err()
        .expect("refused");
    assert_eq!(error.code(), tonic::Code::Internal);
}

#[test]
fn each_encoding_has_its_own_key_and_compression_is_only_on_when_asked() {
    let plain = question(GET_AGREEMENT, "kor-khm");
    assert_eq!(plain.compression(), None);
    let gzip = plain.compressed_key(AnswerCompression::Gzip);
    let zstd = plain.compressed_key(AnswerCompression::Zstd);
    assert_ne!(&*gzip, plain.key());
    assert_ne!(gzip, zstd);
    assert_eq!(gzip[1..], plain.key()[1..]);

    let mut request = routed(GET_AGREEMENT, get("kor-khm"));
    request
        .extensions_mut()
        .insert(CompressFor(AnswerCompression::Gzip));
    let (asked, message) = Question::of(request).expect("routed");
    assert_eq!(asked.compression(), Some(AnswerCompression::Gzip));
    assert_eq!(message, get("kor-khm"));
}

#[test]
fn encoded_bytes_decode_as_the_message_they_name() {
    let agreement = pb::Agreement {
        name: "Korea–Cambodia FTA".into(),
        ..Default::default()
    };
    let encoded =
        Encoded::<pb::Agreement>::from_bytes(bytes::Bytes::from(agreement.encode_to_vec()));
    assert_eq!(encoded.encoded_len(), agreement.encoded_len());
    assert_eq!(
        pb::Agreement::decode(encoded.message_bytes()).expect("decodes"),
        agreement
    );
    assert_eq!(
        pb::Agreement::decode(encoded.encode_to_vec().as_slice()).expect("decodes"),
        agreement,
        "what tonic writes is the message itself"
    );
}
