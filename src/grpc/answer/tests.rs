use std::cell::Cell;
use std::sync::Arc;

use prost::Message;

use super::*;
use crate::grpc::pb;

const GET_AGREEMENT: &str = "/tradepact.v1.AgreementService/GetAgreement";

fn dataset() -> Arc<Dataset> {
    Arc::new(Dataset::default())
}

fn request(id: &str) -> pb::GetAgreementRequest {
    pb::GetAgreementRequest {
        id: id.into(),
        ..Default::default()
    }
}

fn agreement(name: &str) -> pb::Agreement {
    pb::Agreement {
        name: name.into(),
        ..Default::default()
    }
}

/// Asks `cache` for `id`'s answer, counting how often it had to be computed.
fn ask(
    cache: &AnswerCache,
    dataset: &Arc<Dataset>,
    id: &str,
    computed: &Cell<u32>,
) -> pb::Agreement {
    let encoded = cache
        .get_or_encode(dataset, GET_AGREEMENT, &request(id), || {
            computed.set(computed.get() + 1);
            Ok::<_, ()>(agreement(id))
        })
        .expect("answered");
    pb::Agreement::decode(encoded.message_bytes()).expect("the bytes decode as the message")
}

#[test]
fn a_repeated_question_is_answered_from_the_cache_with_the_same_bytes() {
    let cache = AnswerCache::new(1 << 20);
    let data = dataset();
    let computed = Cell::new(0);
    assert_eq!(
        ask(&cache, &data, "kor-khm", &computed),
        agreement("kor-khm")
    );
    assert_eq!(
        ask(&cache, &data, "kor-khm", &computed),
        agreement("kor-khm")
    );
    assert_eq!(computed.get(), 1);
    assert_eq!(
        ask(&cache, &data, "kor-chl", &computed),
        agreement("kor-chl")
    );
    assert_eq!(computed.get(), 2);
}

#[test]
fn a_new_snapshot_starts_an_empty_cache() {
    let cache = AnswerCache::new(1 << 20);
    let computed = Cell::new(0);
    let first = dataset();
    ask(&cache, &first, "kor-khm", &computed);
    let second = dataset();
    ask(&cache, &second, "kor-khm", &computed);
    assert_eq!(
        computed.get(),
        2,
        "the answer was computed again for the new data"
    );
    ask(&cache, &second, "kor-khm", &computed);
    assert_eq!(computed.get(), 2);
}

#[test]
fn errors_are_not_cached() {
    let cache = AnswerCache::new(1 << 20);
    let data = dataset();
    let calls = Cell::new(0);
    for _ in 0..2 {
        let result = cache.get_or_encode(&data, GET_AGREEMENT, &request("x"), || {
            calls.set(calls.get() + 1);
            Err::<pb::Agreement, _>("not found")
        });
        assert!(result.is_err());
    }
    assert_eq!(calls.get(), 2);
    assert_eq!(cache.held_bytes(), 0);
}

#[test]
fn the_cache_stays_within_its_budget() {
    let cache = AnswerCache::new(200);
    let data = dataset();
    let computed = Cell::new(0);
    for i in 0..50 {
        ask(&cache, &data, &format!("agreement-{i}"), &computed);
        assert!(
            cache.held_bytes() <= 200,
            "{} bytes held",
            cache.held_bytes()
        );
    }
    assert_eq!(computed.get(), 50);
    assert!(cache.held_bytes() > 0);
}

#[test]
fn a_zero_budget_turns_the_cache_off() {
    let cache = AnswerCache::new(0);
    let data = dataset();
    let computed = Cell::new(0);
    ask(&cache, &data, "kor-khm", &computed);
    ask(&cache, &data, "kor-khm", &computed);
    assert_eq!(computed.get(), 2);
}

#[test]
fn the_framed_answer_is_found_by_the_request_bytes_as_a_client_sends_them() {
    let cache = AnswerCache::new(1 << 20);
    let data = dataset();
    ask(&cache, &data, "kor-khm", &Cell::new(0));
    let sent = request("kor-khm").encode_to_vec();

    let framed = cache
        .get_framed(&data, GET_AGREEMENT, &sent)
        .expect("the question the handler answered");
    assert_eq!(framed[0], 0, "not compressed");
    let length = u32::from_be_bytes(framed[1..5].try_into().expect("four bytes"));
    assert_eq!(length as usize, framed.len() - FRAME_PREFIX);
    assert_eq!(
        pb::Agreement::decode(&framed[FRAME_PREFIX..]).expect("the message after the prefix"),
        agreement("kor-khm")
    );

    assert!(
        cache
            .get_framed(&data, GET_AGREEMENT, &request("kor-chl").encode_to_vec())
            .is_none()
    );
    let other_method = "/tradepact.v1.AgreementService/ListNegotiationRounds";
    assert!(cache.get_framed(&data, other_method, &sent).is_none());
    assert!(
        cache.get_framed(&dataset(), GET_AGREEMENT, &sent).is_none(),
        "another snapshot"
    );
}

#[test]
fn another_encoding_of_the_same_question_misses_rather_than_matching_wrongly() {
    let cache = AnswerCache::new(1 << 20);
    let data = dataset();
    ask(&cache, &data, "kor-khm", &Cell::new(0));
    // The same question with `view` (field 3) sent explicitly as its default.
    let mut explicit_default = request("kor-khm").encode_to_vec();
    explicit_default.extend_from_slice(&[3 << 3, 0]);
    assert_eq!(
        pb::GetAgreementRequest::decode(explicit_default.as_slice()).expect("decodes"),
        request("kor-khm")
    );
    assert!(
        cache
            .get_framed(&data, GET_AGREEMENT, &explicit_default)
            .is_none()
    );
}
