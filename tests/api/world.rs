//! Every agreement the WTO lists, through the API: lookup by the WTO's id,
//! paging through all of them, each party's own status on a date (its own
//! entry into force, its membership of a group party), agreements without
//! Korea asked for by name or alpha-2 code, and the day before an
//! agreement existed.

use tradepact::grpc::google_type::Date;
use tradepact::grpc::pb;
use tradepact::grpc::pb::AgreementStatus;

use crate::helpers::{TestApp, assert_status, spawn_app};

fn on(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// Agreements matching the filters, every page, as ids with the standing
/// of `party` in each.
async fn standings(
    app: &mut TestApp,
    party: &str,
    query: &str,
    as_of: Option<Date>,
) -> Vec<(String, AgreementStatus, Option<Date>, Option<String>)> {
    app.all_agreements(pb::ListAgreementsRequest {
        party: party.into(),
        query: query.into(),
        as_of,
        page_size: 100,
        ..Default::default()
    })
    .await
    .into_iter()
    .map(|agreement| {
        let code = agreement_party(&agreement, party);
        let standing = agreement
            .party_statuses
            .iter()
            .find(|s| s.party.as_ref().is_some_and(|p| p.code == code))
            .unwrap_or_else(|| panic!("{party} has no standing in {agreement:?}"));
        (
            agreement.id.clone(),
            standing.status(),
            standing.status_since,
            standing.via.as_ref().map(|via| via.code.clone()),
        )
    })
    .collect()
}

/// The alpha-3 code a listing filtered on `asked` shows its standing for:
/// the one party entry that is not a direct party, or the direct party
/// whose code the answer uses.
fn agreement_party(agreement: &pb::Agreement, asked: &str) -> String {
    let known = [
        ("Croatia", "HRV"),
        ("GB", "GBR"),
        ("gb", "GBR"),
        ("Panama", "PAN"),
        ("Japan", "JPN"),
        ("jp", "JPN"),
    ];
    known
        .iter()
        .find(|(name, _)| *name == asked)
        .map(|(_, code)| (*code).to_owned())
        .unwrap_or_else(|| panic!("no code for {asked} in {}", agreement.id))
}

#[tokio::test]
async fn every_agreement_the_wto_lists_is_served_and_pages_through() {
    let mut app = spawn_app().await;
    let first = app
        .agreements
        .list_agreements(pb::ListAgreementsRequest::default())
        .await
        .expect("ListAgreements")
        .into_inner();
    assert!(first.total_size >= 650, "{} agreements", first.total_size);
    let all = app
        .all_agreements(pb::ListAgreementsRequest {
            page_size: 97,
            ..Default::default()
        })
        .await;
    assert_eq!(all.len(), first.total_size as usize, "every page, once");
    let mut ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no agreement twice");
    // Korea's curated agreements took their WTO rows: Korea–Cambodia is one
    // entry, with the WTO's record.
    assert!(!ids.contains(&"wto-1168"));
    let khm = all.iter().find(|a| a.id == "kor-khm").expect("kor-khm");
    assert_eq!(khm.wto.as_ref().map(|w| w.rta_id), Some(1168));

    let economies = app
        .catalog
        .list_economies(pb::ListEconomiesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("ListEconomies")
        .into_inner();
    assert!(economies.total_size >= 240, "{}", economies.total_size);
    app.stop().await;
}

#[tokio::test]
async fn an_agreement_answers_to_the_wtos_id() {
    let mut app = spawn_app().await;
    let japan_uk = app.agreement("wto:1091", None).await.expect("wto:1091");
    assert_eq!(japan_uk.id, "wto-1091");
    assert_eq!(japan_uk.name, "United Kingdom - Japan");
    let parties: Vec<&str> = japan_uk.parties.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(parties, ["JPN", "GBR"]);
    assert_eq!(japan_uk.status(), AgreementStatus::InForce);
    let wto = japan_uk.wto.as_ref().expect("the WTO's record");
    assert_eq!(wto.types, ["FTA", "EIA"]);
    assert_eq!(wto.coverage(), pb::Coverage::GoodsAndServices);
    assert!(
        japan_uk
            .sources
            .iter()
            .any(|s| s.publisher == "World Trade Organization" && s.url.ends_with("rtaid=1091")),
        "{:?}",
        japan_uk.sources
    );
    assert_eq!(
        app.agreement("wto-1091", None).await.expect("by id"),
        japan_uk
    );
    // A curated agreement answers to its RTA ID too.
    assert_eq!(
        app.agreement("WTO:1168", None).await.expect("by WTO id").id,
        "kor-khm"
    );
    assert_status(
        app.agreement("wto:999999", None).await,
        tonic::Code::NotFound,
        "999999",
    );
    assert_status(
        app.agreement("wto:kor-khm", None).await,
        tonic::Code::InvalidArgument,
        "id",
    );
    // An accession links to the agreement it joins.
    let uk_cptpp = app.agreement("wto:1218", None).await.expect("accession");
    assert_eq!(
        uk_cptpp.wto.as_ref().map(|w| w.accession_to.as_str()),
        Some("wto-640")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_party_that_entered_into_force_later_stands_apart_until_then() {
    let mut app = spawn_app().await;
    let central_america = |rows: Vec<(String, AgreementStatus, Option<Date>, Option<String>)>| {
        rows.into_iter()
            .find(|row| row.0 == "kor-central-america")
            .map(|(_, status, since, via)| (status, since, via))
    };
    assert_eq!(
        central_america(standings(&mut app, "Panama", "korea", on(2020, 6, 1)).await),
        Some((AgreementStatus::Signed, on(2018, 2, 21), None))
    );
    assert_eq!(
        central_america(standings(&mut app, "Panama", "korea", on(2021, 3, 1)).await),
        Some((AgreementStatus::InForce, on(2021, 3, 1), None))
    );
    // The agreement as a whole was in force from its first party's entry.
    let whole = app
        .agreement("kor-central-america", Some((2020, 6, 1)))
        .await
        .expect("agreement");
    assert_eq!(whole.status(), AgreementStatus::InForce);
    // Filtering on Panama's own status: in force for Panama only from 2021.
    let in_force_2020 = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "PA".into(),
            status: AgreementStatus::InForce as i32,
            as_of: on(2020, 6, 1),
            ..Default::default()
        })
        .await;
    assert!(
        !in_force_2020.iter().any(|a| a.id == "kor-central-america"),
        "not yet in force for Panama"
    );
    app.stop().await;
}

#[tokio::test]
async fn members_of_a_group_party_stand_from_joining_to_leaving() {
    let mut app = spawn_app().await;
    // Croatia joined the EU on 2013-07-01: not a party to EU–Korea before.
    let before = standings(&mut app, "Croatia", "korea", on(2013, 6, 30)).await;
    assert!(
        !before.iter().any(|row| row.0 == "kor-eu"),
        "not a party before it joined: {before:?}"
    );
    let after = standings(&mut app, "Croatia", "korea", on(2014, 1, 1)).await;
    let eu_korea = after
        .iter()
        .find(|row| row.0 == "kor-eu")
        .expect("a party through the EU once a member");
    assert_eq!(
        (eu_korea.1, eu_korea.2, eu_korea.3.as_deref()),
        (
            AgreementStatus::ProvisionallyApplied,
            on(2013, 7, 1),
            Some("EU")
        )
    );

    // The United Kingdom, by alpha-2 code: a party through the EU until
    // 2020-12-31, no longer from 2021-01-01.
    let until = standings(&mut app, "gb", "korea", on(2020, 12, 31)).await;
    let row = until.iter().find(|row| row.0 == "kor-eu").expect("kor-eu");
    assert_eq!(
        (row.1, row.3.as_deref()),
        (AgreementStatus::InForce, Some("EU"))
    );
    let from = standings(&mut app, "GB", "korea", on(2021, 1, 1)).await;
    let row = from.iter().find(|row| row.0 == "kor-eu").expect("kor-eu");
    assert_eq!(
        (row.1, row.2),
        (AgreementStatus::Terminated, on(2021, 1, 1))
    );
    // Its own agreement with Korea took over that day.
    let gbr = from.iter().find(|row| row.0 == "kor-gbr").expect("kor-gbr");
    assert_eq!((gbr.1, gbr.3.as_deref()), (AgreementStatus::InForce, None));

    // The whole agreement is unchanged by one member leaving.
    let eu = app.agreement("kor-eu", None).await.expect("kor-eu");
    assert_eq!(eu.status(), AgreementStatus::InForce);
    app.stop().await;
}

#[tokio::test]
async fn agreements_without_korea_are_asked_for_by_name_or_code() {
    let mut app = spawn_app().await;
    let by_name = standings(&mut app, "Japan", "", None).await;
    let by_alpha2 = standings(&mut app, "jp", "", None).await;
    assert_eq!(by_name, by_alpha2);
    let ids: Vec<&str> = by_name.iter().map(|row| row.0.as_str()).collect();
    for id in ["wto-1091", "wto-640", "wto-836", "rcep"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(by_name.len() > 15, "{} agreements", by_name.len());
    app.stop().await;
}

#[tokio::test]
async fn before_its_first_step_an_agreement_did_not_exist() {
    let mut app = spawn_app().await;
    let japan_uk = app
        .agreement("wto:1091", Some((2019, 1, 1)))
        .await
        .expect("still found");
    assert_eq!(japan_uk.status(), AgreementStatus::NotYetExisting);
    assert_eq!(japan_uk.status_since, None);
    assert!(japan_uk.events.is_empty(), "{:?}", japan_uk.events);
    // A list on that date leaves it out; a filter on NOT_YET_EXISTING is
    // refused, naming the field.
    let listed = standings(&mut app, "Japan", "kingdom", on(2019, 1, 1)).await;
    assert!(!listed.iter().any(|row| row.0 == "wto-1091"));
    assert_status(
        app.agreements
            .list_agreements(pb::ListAgreementsRequest {
                status: AgreementStatus::NotYetExisting as i32,
                ..Default::default()
            })
            .await,
        tonic::Code::InvalidArgument,
        "status",
    );
    app.stop().await;
}
