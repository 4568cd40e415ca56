//! Agreement questions from DESIGN.md, answered with the facts file's dates.

use tradepact::grpc::pb;
use tradepact::grpc::pb::{AgreementStatus, EventKind, MeetingFormat};

use crate::helpers::{assert_status, date, spawn_app};

fn ids(agreements: &[pb::Agreement]) -> Vec<&str> {
    agreements.iter().map(|a| a.id.as_str()).collect()
}

fn first_event(agreement: &pb::Agreement, kind: EventKind) -> &pb::AgreementEvent {
    agreement
        .events
        .iter()
        .find(|e| e.kind == kind as i32)
        .unwrap_or_else(|| panic!("{} has no {kind:?} event", agreement.id))
}

#[tokio::test]
async fn korea_cambodia_is_in_force_since_december_2022() {
    let mut app = spawn_app().await;
    let khm = app
        .agreement("kor-khm", None)
        .await
        .expect("kor-khm exists");
    assert_eq!(khm.status, AgreementStatus::InForce as i32);
    assert_eq!(khm.status_since, date(2022, 12, 1));
    let parties: Vec<_> = khm
        .parties
        .iter()
        .map(|p| (p.code.as_str(), p.kind))
        .collect();
    let economy = pb::PartyKind::Economy as i32;
    assert_eq!(parties, [("KOR", economy), ("KHM", economy)]);
    assert_eq!(khm.designation, "FTA");
    assert_eq!(khm.kinds, [pb::AgreementKind::FreeTradeAgreement as i32]);
    assert!(!khm.sources.is_empty() || khm.events.iter().all(|e| !e.sources.is_empty()));
    app.stop().await;
}

#[tokio::test]
async fn korea_cambodia_was_negotiating_on_2020_10_06_and_later_events_are_left_out() {
    let mut app = spawn_app().await;
    let khm = app
        .agreement("kor-khm", Some((2020, 10, 6)))
        .await
        .expect("kor-khm exists");
    assert_eq!(khm.status, AgreementStatus::Negotiating as i32);
    assert_eq!(
        khm.status_since,
        date(2020, 7, 9),
        "negotiating since the launch"
    );
    let latest = khm
        .events
        .iter()
        .filter_map(|e| e.start)
        .map(|d| (d.year, d.month, d.day))
        .max();
    assert!(
        latest <= Some((2020, 10, 6)),
        "no event after the as-of date: {latest:?}"
    );
    assert!(
        !khm.events
            .iter()
            .any(|e| e.kind == EventKind::Signed as i32)
    );
    app.stop().await;
}

#[tokio::test]
async fn korea_cambodia_timeline_has_each_milestone_dated() {
    let mut app = spawn_app().await;
    let khm = app
        .agreement("KOR-KHM", None)
        .await
        .expect("ids are case-insensitive");
    let milestones = [
        (EventKind::Proposed, date(2019, 3, 15)),
        (EventKind::Launched, date(2020, 7, 9)),
        (EventKind::Concluded, date(2021, 2, 3)),
        (EventKind::Signed, date(2021, 10, 26)),
        (EventKind::EnteredIntoForce, date(2022, 12, 1)),
        (EventKind::NotifiedToWto, date(2023, 6, 21)),
    ];
    for (kind, start) in milestones {
        assert_eq!(first_event(&khm, kind).start, start, "{kind:?}");
    }
    for event in khm.events.iter().filter(|e| e.start.is_some()) {
        assert!(
            !event.sources.is_empty(),
            "every dated event cites a source: {event:?}"
        );
        assert!(
            event.sources.iter().any(|s| !s.url.is_empty()),
            "a source to follow: {event:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn korea_cambodia_rounds_one_to_four_were_all_virtual() {
    let mut app = spawn_app().await;
    let rounds = app
        .agreements
        .list_negotiation_rounds(pb::ListNegotiationRoundsRequest {
            agreement_id: "kor-khm".into(),
            ..Default::default()
        })
        .await
        .expect("rounds")
        .into_inner()
        .rounds;
    let dates: Vec<_> = rounds
        .iter()
        .map(|r| (r.round_number, r.start, r.end))
        .collect();
    assert_eq!(
        dates,
        [
            (Some(1), date(2020, 7, 30), date(2020, 7, 31)),
            (Some(2), date(2020, 8, 31), date(2020, 9, 3)),
            (Some(3), date(2020, 10, 6), date(2020, 10, 8)),
            (Some(4), date(2020, 11, 18), date(2020, 11, 20)),
        ]
    );
    assert!(
        rounds
            .iter()
            .all(|r| r.format == MeetingFormat::Virtual as i32)
    );
    let conflict = rounds[1]
        .conflicts
        .first()
        .expect("round 2 keeps the other reported end date");
    assert_eq!(conflict.end, date(2020, 9, 2));
    assert!(!conflict.sources.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn korean_ftas_under_negotiation_on_2020_10_05() {
    let mut app = spawn_app().await;
    let negotiating = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "KOR".into(),
            status: AgreementStatus::Negotiating as i32,
            as_of: date(2020, 10, 5),
            ..Default::default()
        })
        .await;
    let ids = ids(&negotiating);
    for expected in ["kor-khm", "kor-phl", "kor-mys"] {
        assert!(
            ids.contains(&expected),
            "{expected} was under negotiation: {ids:?}"
        );
    }
    for not_negotiating in ["kor-idn", "kor-chn", "kor-usa"] {
        assert!(
            !ids.contains(&not_negotiating),
            "{not_negotiating} was past negotiation: {ids:?}"
        );
    }
    assert!(
        negotiating
            .iter()
            .all(|a| a.status == AgreementStatus::Negotiating as i32)
    );
    app.stop().await;
}

#[tokio::test]
async fn korean_ftas_in_force_today_and_signed_ones_apart() {
    let mut app = spawn_app().await;
    let in_force = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "kor".into(),
            status: AgreementStatus::InForce as i32,
            ..Default::default()
        })
        .await;
    let in_force = ids(&in_force);
    for expected in [
        "kor-chl", "kor-usa", "kor-khm", "kor-idn", "kor-phl", "kor-chn",
    ] {
        assert!(
            in_force.contains(&expected),
            "{expected} is in force: {in_force:?}"
        );
    }
    assert!(
        !in_force.contains(&"kor-mys"),
        "Korea–Malaysia is concluded, not in force"
    );
    let signed = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "KOR".into(),
            status: AgreementStatus::Signed as i32,
            ..Default::default()
        })
        .await;
    assert!(
        ids(&signed).contains(&"kor-ecu"),
        "Korea–Ecuador SECA is signed: {:?}",
        ids(&signed)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_member_of_a_group_finds_the_groups_agreements() {
    let mut app = spawn_app().await;
    let cambodia = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "KHM".into(),
            ..Default::default()
        })
        .await;
    let ids = ids(&cambodia);
    assert!(ids.contains(&"kor-khm"));
    assert!(
        ids.contains(&"kor-asean-goods"),
        "Cambodia is in ASEAN: {ids:?}"
    );
    assert!(!ids.contains(&"kor-chl"));
    app.stop().await;
}

#[tokio::test]
async fn paging_walks_every_agreement_once_in_id_order() {
    let mut app = spawn_app().await;
    let unpaged = app
        .all_agreements(pb::ListAgreementsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await;
    assert!(
        unpaged.len() >= 30,
        "every Korean agreement is listed: {}",
        unpaged.len()
    );
    let paged = app
        .all_agreements(pb::ListAgreementsRequest {
            page_size: 5,
            ..Default::default()
        })
        .await;
    assert_eq!(ids(&paged), ids(&unpaged));
    let mut sorted = ids(&unpaged);
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, ids(&unpaged), "id order, no duplicates");

    let first = app
        .agreements
        .list_agreements(pb::ListAgreementsRequest {
            page_size: 5,
            ..Default::default()
        })
        .await
        .expect("first page")
        .into_inner();
    assert_eq!(first.agreements.len(), 5);
    assert!(!first.next_page_token.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn before_its_first_event_an_agreement_did_not_exist_yet() {
    let mut app = spawn_app().await;
    let khm = app
        .agreement("kor-khm", Some((2000, 1, 1)))
        .await
        .expect("still found");
    assert_eq!(khm.status, AgreementStatus::NotYetExisting as i32);
    assert!(
        khm.party_statuses
            .iter()
            .all(|p| p.status == AgreementStatus::Unspecified as i32),
        "no party had a status yet: {:?}",
        khm.party_statuses
    );
    assert_eq!(khm.status_since, None);
    let kinds: Vec<i32> = khm.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Other as i32],
        "only the 1997 re-establishment of relations"
    );
    let listed = app
        .all_agreements(pb::ListAgreementsRequest {
            as_of: date(2000, 1, 1),
            ..Default::default()
        })
        .await;
    assert!(
        !ids(&listed).contains(&"kor-khm"),
        "did not exist yet in 2000"
    );
    assert!(
        ids(&listed).contains(&"kor-chl"),
        "Korea–Chile talks began in 1999"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_listing_is_basic_unless_the_full_view_is_asked_for() {
    let mut app = spawn_app().await;
    let list = |view: pb::AgreementView| pb::ListAgreementsRequest {
        party: "KOR".into(),
        view: view as i32,
        ..Default::default()
    };
    let basic = app
        .agreements
        .list_agreements(list(pb::AgreementView::Unspecified))
        .await
        .expect("basic listing")
        .into_inner();
    let full = app
        .agreements
        .list_agreements(list(pb::AgreementView::Full))
        .await
        .expect("full listing")
        .into_inner();
    assert_eq!(ids(&basic.agreements), ids(&full.agreements));
    assert!(basic.agreements.len() > 10, "Korea has many agreements");
    for (short, long) in basic.agreements.iter().zip(&full.agreements) {
        assert!(
            short.events.is_empty() && short.sources.is_empty(),
            "{short:?}"
        );
        assert!(!long.events.is_empty(), "{} has events in FULL", long.id);
        // FULL also gives the standing of each member of a group party.
        let long_without_detail = pb::Agreement {
            events: Vec::new(),
            sources: Vec::new(),
            party_statuses: long
                .party_statuses
                .iter()
                .filter(|p| p.via.is_none())
                .cloned()
                .collect(),
            ..long.clone()
        };
        assert_eq!(
            short, &long_without_detail,
            "BASIC is FULL minus the detail"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn get_agreement_is_full_unless_the_basic_view_is_asked_for() {
    let mut app = spawn_app().await;
    let ask = |view: pb::AgreementView| pb::GetAgreementRequest {
        id: "kor-khm".into(),
        view: view as i32,
        ..Default::default()
    };
    let mut answers = Vec::new();
    for view in [
        pb::AgreementView::Unspecified,
        pb::AgreementView::Full,
        pb::AgreementView::Basic,
    ] {
        answers.push(
            app.agreements
                .get_agreement(ask(view))
                .await
                .expect("kor-khm")
                .into_inner(),
        );
    }
    assert!(!answers[0].events.is_empty());
    assert_eq!(answers[0], answers[1], "UNSPECIFIED means FULL");
    assert!(answers[2].events.is_empty() && answers[2].sources.is_empty());
    assert_eq!(answers[2].status, answers[0].status);
    assert_eq!(answers[2].status_since, answers[0].status_since);
    app.stop().await;
}

async fn rounds_page(
    app: &mut crate::helpers::TestApp,
    agreement_id: &str,
    page_size: i32,
    page_token: String,
) -> Result<pb::ListNegotiationRoundsResponse, tonic::Status> {
    app.agreements
        .list_negotiation_rounds(pb::ListNegotiationRoundsRequest {
            agreement_id: agreement_id.into(),
            page_size,
            page_token,
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn rounds_come_in_pages_that_add_up_to_the_whole_list() {
    let mut app = spawn_app().await;
    let whole = rounds_page(&mut app, "kor-khm", 0, String::new())
        .await
        .expect("one page");
    assert!(whole.next_page_token.is_empty());
    assert_eq!(whole.total_size as usize, whole.rounds.len());
    assert!(whole.rounds.len() > 2, "kor-khm has several rounds");

    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = rounds_page(&mut app, "kor-khm", 2, token)
            .await
            .expect("a page");
        assert!(page.rounds.len() <= 2);
        assert_eq!(page.total_size, whole.total_size);
        paged.extend(page.rounds);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, whole.rounds);

    let first = rounds_page(&mut app, "kor-khm", 1, String::new())
        .await
        .expect("first page");
    let refused = rounds_page(&mut app, "kor-idn", 1, first.next_page_token)
        .await
        .expect_err("a token belongs to its agreement");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().starts_with("page_token:"), "{refused:?}");
    app.stop().await;
}

#[tokio::test]
async fn korea_eu_was_provisionally_applied_before_it_entered_into_force() {
    let mut app = spawn_app().await;
    let applied = app
        .agreement("kor-eu", Some((2012, 1, 1)))
        .await
        .expect("kor-eu in 2012");
    assert_eq!(applied.status(), AgreementStatus::ProvisionallyApplied);
    assert_eq!(applied.status_since, date(2011, 7, 1));
    let in_force = app
        .agreement("kor-eu", Some((2016, 1, 1)))
        .await
        .expect("kor-eu in 2016");
    assert_eq!(in_force.status(), AgreementStatus::InForce);
    let parties: Vec<_> = in_force
        .parties
        .iter()
        .map(|p| (p.code.as_str(), p.kind()))
        .collect();
    assert_eq!(
        parties,
        [
            ("KOR", pb::PartyKind::Economy),
            ("EU", pb::PartyKind::Group)
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn agreements_are_found_by_words_of_their_name_or_parties() {
    let mut app = spawn_app().await;
    let search = |query: &str, party: &str| {
        let request = pb::ListAgreementsRequest {
            query: query.into(),
            party: party.into(),
            page_size: 2,
            ..Default::default()
        };
        let mut app_agreements = app.agreements.clone();
        async move {
            let mut all = Vec::new();
            let mut request = request;
            loop {
                let page = app_agreements
                    .list_agreements(request.clone())
                    .await
                    .expect("ListAgreements")
                    .into_inner();
                all.extend(page.agreements.into_iter().map(|a| a.id));
                if page.next_page_token.is_empty() {
                    return all;
                }
                request.page_token = page.next_page_token;
            }
        }
    };
    let cambodia = search("Korea Cambodia", "").await;
    assert!(cambodia.contains(&"kor-khm".to_owned()), "{cambodia:?}");
    assert!(!cambodia.contains(&"kor-idn".to_owned()), "{cambodia:?}");
    assert_eq!(search("digital", "").await, ["kor-eu-dta"]);
    assert_eq!(search("türkiye services", "").await, ["kor-tur-services"]);
    // Composes with the party filter: Korea's agreement with EFTA, searched
    // by words of its name, only when the party is EFTA.
    assert_eq!(search("korea efta", "EFTA").await, ["kor-efta"]);
    assert!(search("korea efta", "KHM").await.is_empty());
    // Agreements without Korea are found the same way.
    let cptpp = search("CPTPP", "").await;
    assert!(cptpp.contains(&"wto-640".to_owned()), "{cptpp:?}");
    assert!(cptpp.iter().all(|id| id.starts_with("wto-")), "{cptpp:?}");
    assert_status(
        app.agreements
            .list_agreements(pb::ListAgreementsRequest {
                query: "-- //".into(),
                ..Default::default()
            })
            .await,
        tonic::Code::InvalidArgument,
        "query",
    );
    app.stop().await;
}
