//! Corrections to Korea's curated agreements (issue 14, section 5), checked
//! through the API: each date the WTO RTA-IS gives, with its precision, the
//! status on the days either side of it, and the WTO's ID card among the
//! event's sources; and the agreements added from the RTA-IS list.

use tradepact::grpc::google_type::Date;
use tradepact::grpc::pb;
use tradepact::grpc::pb::{AgreementStatus, EventKind};

use crate::helpers::{TestApp, date, spawn_app};

const WTO: &str = "World Trade Organization";

/// A month known without its day, as the API gives it (day 0).
fn month(year: i32, month: i32) -> Option<Date> {
    Some(Date {
        year,
        month,
        day: 0,
    })
}

/// True when `sources` include the WTO's ID card of RTA `rta_id`.
fn cites_wto(sources: &[pb::Source], rta_id: u32) -> bool {
    let card = format!("https://rtais.wto.org/UI/PublicShowRTAIDCard.aspx?rtaid={rta_id}");
    sources.iter().any(|s| s.publisher == WTO && s.url == card)
}

/// The agreement's events of `kind`, in order.
fn events(agreement: &pb::Agreement, kind: EventKind) -> Vec<&pb::AgreementEvent> {
    agreement
        .events
        .iter()
        .filter(|e| e.kind == kind as i32)
        .collect()
}

/// The agreement's one event of `kind` that concerns all its parties and
/// the whole agreement (not goods or services alone).
#[track_caller]
fn the_event(agreement: &pb::Agreement, kind: EventKind) -> &pb::AgreementEvent {
    let found: Vec<_> = events(agreement, kind)
        .into_iter()
        .filter(|e| e.party.is_none() && e.coverage == pb::Coverage::Unspecified as i32)
        .collect();
    assert_eq!(found.len(), 1, "{} {kind:?}: {found:#?}", agreement.id);
    found[0]
}

async fn get(app: &mut TestApp, id: &str) -> pb::Agreement {
    app.agreement(id, None)
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// The status and its start on `day`.
async fn status_on(
    app: &mut TestApp,
    id: &str,
    day: (i32, i32, i32),
) -> (AgreementStatus, Option<Date>) {
    let agreement = app
        .agreement(id, Some(day))
        .await
        .unwrap_or_else(|e| panic!("{id} on {day:?}: {e}"));
    (agreement.status(), agreement.status_since)
}

#[tokio::test]
async fn korea_turkiye_services_are_in_force_since_2018_08_01() {
    let mut app = spawn_app().await;
    let services = get(&mut app, "kor-tur-services").await;
    assert_eq!(services.status(), AgreementStatus::InForce);
    assert_eq!(services.status_since, date(2018, 8, 1));
    let signed = the_event(&services, EventKind::Signed);
    assert_eq!(signed.start, date(2015, 2, 26), "the WTO's day (services)");
    assert!(cites_wto(&signed.sources, 699), "{signed:?}");
    let in_force = the_event(&services, EventKind::EnteredIntoForce);
    assert_eq!(in_force.start, date(2018, 8, 1));
    assert!(cites_wto(&in_force.sources, 699), "{in_force:?}");

    assert_eq!(
        status_on(&mut app, "kor-tur-services", (2018, 7, 31)).await,
        (AgreementStatus::Signed, date(2015, 2, 26))
    );
    assert_eq!(
        status_on(&mut app, "kor-tur-services", (2018, 8, 1)).await,
        (AgreementStatus::InForce, date(2018, 8, 1))
    );
    assert_eq!(
        status_on(&mut app, "kor-tur-services", (2015, 2, 25)).await,
        (AgreementStatus::Concluded, date(2014, 7, 4)),
        "concluded, not yet signed, the day before"
    );
    let in_force = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "TUR".into(),
            status: AgreementStatus::InForce as i32,
            ..Default::default()
        })
        .await;
    let ids: Vec<&str> = in_force.iter().map(|a| a.id.as_str()).collect();
    assert!(
        ids.contains(&"kor-tur") && ids.contains(&"kor-tur-services"),
        "{ids:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn korea_singapore_entered_into_force_on_2006_03_02() {
    let mut app = spawn_app().await;
    let sgp = get(&mut app, "kor-sgp").await;
    let in_force = the_event(&sgp, EventKind::EnteredIntoForce);
    assert_eq!(in_force.start, date(2006, 3, 2), "day precision now");
    assert!(cites_wto(&in_force.sources, 28), "{in_force:?}");
    assert!(
        in_force.conflicts.is_empty(),
        "the month agrees: {in_force:?}"
    );
    assert_eq!(sgp.status_since, date(2006, 3, 2));
    assert_eq!(
        status_on(&mut app, "kor-sgp", (2006, 3, 1)).await,
        (AgreementStatus::Signed, date(2005, 8, 4))
    );
    assert_eq!(
        status_on(&mut app, "kor-sgp", (2006, 3, 2)).await,
        (AgreementStatus::InForce, date(2006, 3, 2)),
        "in force on the day itself, no longer only once March has passed"
    );
    app.stop().await;
}

#[tokio::test]
async fn korea_israel_was_signed_on_2021_05_12() {
    let mut app = spawn_app().await;
    let isr = get(&mut app, "kor-isr").await;
    let signed = the_event(&isr, EventKind::Signed);
    assert_eq!(signed.start, date(2021, 5, 12));
    assert!(cites_wto(&signed.sources, 701), "{signed:?}");
    let in_force = the_event(&isr, EventKind::EnteredIntoForce);
    assert_eq!(in_force.start, date(2022, 12, 1));
    assert!(cites_wto(&in_force.sources, 701), "{in_force:?}");
    assert!(
        in_force
            .sources
            .iter()
            .any(|s| s.url.contains("bridgesforpeace")),
        "the facts file's own source stays: {in_force:?}"
    );
    assert_eq!(
        status_on(&mut app, "kor-isr", (2021, 5, 11)).await,
        (AgreementStatus::Concluded, date(2019, 8, 21))
    );
    assert_eq!(
        status_on(&mut app, "kor-isr", (2021, 5, 12)).await,
        (AgreementStatus::Signed, date(2021, 5, 12))
    );
    app.stop().await;
}

#[tokio::test]
async fn korea_peru_entered_into_force_on_2011_08_01() {
    let mut app = spawn_app().await;
    let per = get(&mut app, "kor-per").await;
    let in_force = the_event(&per, EventKind::EnteredIntoForce);
    assert_eq!(in_force.start, date(2011, 8, 1));
    assert!(cites_wto(&in_force.sources, 645), "{in_force:?}");
    assert_eq!(
        status_on(&mut app, "kor-per", (2011, 7, 31)).await,
        (AgreementStatus::Signed, date(2011, 3, 21))
    );
    assert_eq!(
        status_on(&mut app, "kor-per", (2011, 8, 1)).await,
        (AgreementStatus::InForce, date(2011, 8, 1))
    );
    app.stop().await;
}

#[tokio::test]
async fn korea_efta_entered_into_force_for_iceland_a_month_after_the_others() {
    let mut app = spawn_app().await;
    let efta = get(&mut app, "kor-efta").await;
    let in_force: Vec<_> = events(&efta, EventKind::EnteredIntoForce)
        .iter()
        .map(|e| (e.party.as_ref().map(|p| p.code.as_str()), e.start))
        .collect();
    assert_eq!(
        in_force,
        [(None, date(2006, 9, 1)), (Some("ISL"), date(2006, 10, 1))]
    );
    let iceland = events(&efta, EventKind::EnteredIntoForce)[1];
    assert_eq!(
        iceland.party.as_ref().map(pb::Party::kind),
        Some(pb::PartyKind::Economy)
    );
    assert!(cites_wto(&iceland.sources, 21), "{iceland:?}");
    assert_eq!(
        (efta.status(), efta.status_since),
        (AgreementStatus::InForce, date(2006, 9, 1)),
        "Iceland's date does not move the agreement's"
    );
    assert_eq!(
        status_on(&mut app, "kor-efta", (2006, 8, 31)).await,
        (AgreementStatus::Signed, date(2005, 12, 15))
    );
    app.stop().await;
}

#[tokio::test]
async fn korea_central_america_entered_into_force_party_by_party() {
    let mut app = spawn_app().await;
    let ca = get(&mut app, "kor-central-america").await;
    let in_force = events(&ca, EventKind::EnteredIntoForce);
    let dates: Vec<_> = in_force
        .iter()
        .map(|e| (e.party.as_ref().map(|p| p.code.as_str()), e.start))
        .collect();
    assert_eq!(
        dates,
        [
            (Some("KOR"), date(2019, 10, 1)),
            (Some("HND"), date(2019, 10, 1)),
            (Some("NIC"), date(2019, 10, 1)),
            // The WTO's date for the agreement as a whole: the first entry.
            (None, date(2019, 10, 1)),
            (Some("CRI"), date(2019, 11, 1)),
            (Some("SLV"), date(2020, 1, 1)),
            (Some("PAN"), date(2021, 3, 1)),
        ]
    );
    for event in &in_force {
        assert!(cites_wto(&event.sources, 901), "{event:?}");
    }
    assert_eq!(
        status_on(&mut app, "kor-central-america", (2019, 9, 30)).await,
        (AgreementStatus::Signed, date(2018, 2, 21))
    );
    assert_eq!(
        status_on(&mut app, "kor-central-america", (2019, 10, 1)).await,
        (AgreementStatus::InForce, date(2019, 10, 1))
    );
    // As of 2020-06-01, Panama's entry into force has not happened yet.
    let mid = app
        .agreement("kor-central-america", Some((2020, 6, 1)))
        .await
        .expect("agreement");
    let parties: Vec<_> = events(&mid, EventKind::EnteredIntoForce)
        .iter()
        .filter_map(|e| e.party.as_ref().map(|p| p.code.as_str()))
        .collect();
    assert_eq!(parties, ["KOR", "HND", "NIC", "CRI", "SLV"]);
    app.stop().await;
}

#[tokio::test]
async fn korea_asean_goods_and_services_keep_the_wto_dates_apart() {
    let mut app = spawn_app().await;
    let goods = get(&mut app, "kor-asean-goods").await;
    let signed = the_event(&goods, EventKind::Signed);
    assert_eq!(signed.start, date(2006, 8, 24), "the WTO's day (goods)");
    assert!(cites_wto(&signed.sources, 169), "{signed:?}");
    assert_eq!(
        status_on(&mut app, "kor-asean-goods", (2006, 8, 24)).await,
        (AgreementStatus::Signed, date(2006, 8, 24))
    );
    let in_force = the_event(&goods, EventKind::EnteredIntoForce);
    assert_eq!(
        in_force.start,
        date(2007, 6, 1),
        "the facts file's date stays"
    );
    let wto = in_force
        .conflicts
        .iter()
        .find(|c| c.start == date(2010, 1, 1))
        .expect("the WTO's 2010-01-01 as a conflict");
    assert!(cites_wto(&wto.sources, 169), "{wto:?}");

    let services = get(&mut app, "kor-asean-services").await;
    let signed = the_event(&services, EventKind::Signed);
    assert_eq!(
        signed.start,
        month(2007, 11),
        "month precision, as the facts file gives it"
    );
    let wto = signed
        .conflicts
        .iter()
        .find(|c| c.start == date(2008, 11, 21))
        .expect("the WTO's 2008-11-21 as a conflict");
    assert!(cites_wto(&wto.sources, 169), "{wto:?}");
    let in_force = the_event(&services, EventKind::EnteredIntoForce);
    assert_eq!(in_force.start, date(2009, 5, 1));
    assert!(cites_wto(&in_force.sources, 169), "{in_force:?}");
    app.stop().await;
}

#[tokio::test]
async fn dates_the_wto_gives_otherwise_are_kept_as_conflicts() {
    let mut app = spawn_app().await;
    let chl = get(&mut app, "kor-chl").await;
    let signed = the_event(&chl, EventKind::Signed);
    assert_eq!(signed.start, date(2003, 2, 15));
    let wto = signed
        .conflicts
        .iter()
        .find(|c| c.start == date(2003, 2, 1))
        .expect("the WTO's 2003-02-01 as a conflict");
    assert!(cites_wto(&wto.sources, 53));

    let eu = get(&mut app, "kor-eu").await;
    let in_force = the_event(&eu, EventKind::EnteredIntoForce);
    assert_eq!(in_force.start, date(2015, 12, 13), "full entry into force");
    let wto = in_force
        .conflicts
        .iter()
        .find(|c| c.start == date(2011, 7, 1))
        .expect("the WTO's 2011-07-01 as a conflict");
    assert!(cites_wto(&wto.sources, 167));
    assert_eq!(
        status_on(&mut app, "kor-eu", (2012, 1, 1)).await,
        (AgreementStatus::ProvisionallyApplied, date(2011, 7, 1)),
        "a conflict does not change the status"
    );
    app.stop().await;
}

#[tokio::test]
async fn signatures_and_entries_into_force_the_wto_gives_cite_its_id_card() {
    let mut app = spawn_app().await;
    // (id, RTA ID, signed, in force): the dates of the WTO RTA-IS export.
    let agreements = [
        ("kor-khm", 1168, date(2021, 10, 26), date(2022, 12, 1)),
        ("kor-idn", 899, date(2020, 12, 18), date(2023, 1, 1)),
        ("kor-chl", 53, date(2003, 2, 15), date(2004, 4, 1)),
        ("kor-sgp", 28, date(2005, 8, 4), date(2006, 3, 2)),
        ("kor-efta", 21, date(2005, 12, 15), date(2006, 9, 1)),
        ("kor-ind", 715, date(2009, 8, 7), date(2010, 1, 1)),
        ("kor-per", 645, date(2011, 3, 21), date(2011, 8, 1)),
        ("kor-usa", 183, date(2007, 6, 30), date(2012, 3, 15)),
        ("kor-tur", 699, date(2012, 8, 1), date(2013, 5, 1)),
        ("kor-aus", 537, date(2014, 4, 8), date(2014, 12, 12)),
        ("kor-can", 168, date(2014, 9, 22), date(2015, 1, 1)),
        ("kor-chn", 697, date(2015, 6, 1), date(2015, 12, 20)),
        ("kor-nzl", 643, date(2015, 3, 23), date(2015, 12, 20)),
        ("kor-vnm", 709, date(2015, 5, 5), date(2015, 12, 20)),
        ("kor-col", 695, date(2013, 2, 21), date(2016, 7, 15)),
        ("kor-gbr", 1113, date(2019, 8, 22), date(2021, 1, 1)),
        ("kor-isr", 701, date(2021, 5, 12), date(2022, 12, 1)),
    ];
    for (id, rta_id, signed_on, in_force_on) in agreements {
        let agreement = get(&mut app, id).await;
        assert!(
            cites_wto(&agreement.sources, rta_id),
            "{id}: {:?}",
            agreement.sources
        );
        let signed = the_event(&agreement, EventKind::Signed);
        assert_eq!(signed.start, signed_on, "{id}");
        let in_force = the_event(&agreement, EventKind::EnteredIntoForce);
        assert_eq!(in_force.start, in_force_on, "{id}");
        assert!(cites_wto(&in_force.sources, rta_id), "{id}: {in_force:?}");
        // Korea–Chile's signature is the one the WTO dates otherwise.
        if id != "kor-chl" {
            assert!(cites_wto(&signed.sources, rta_id), "{id}: {signed:?}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn korea_japan_and_korea_mexico_are_under_negotiation_with_no_date_known() {
    let mut app = spawn_app().await;
    for (id, partner, rta_id) in [("kor-jpn", "JPN", 171), ("kor-mex", "MEX", 165)] {
        let agreement = get(&mut app, id).await;
        let parties: Vec<&str> = agreement.parties.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(parties, ["KOR", partner], "{id}");
        assert_eq!(agreement.status(), AgreementStatus::Negotiating, "{id}");
        assert_eq!(agreement.status_since, None, "{id}: the launch has no date");
        assert_eq!(agreement.events.len(), 1, "{id}: {:?}", agreement.events);
        let launched = the_event(&agreement, EventKind::Launched);
        assert_eq!(launched.start, None, "{id}: no date is invented");
        assert!(cites_wto(&launched.sources, rta_id), "{id}: {launched:?}");
        assert_eq!(
            status_on(&mut app, id, (2020, 1, 1)).await,
            (AgreementStatus::Unspecified, None),
            "{id}: an undated event gives no status on a past date"
        );
    }
    let negotiating = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "KOR".into(),
            status: AgreementStatus::Negotiating as i32,
            ..Default::default()
        })
        .await;
    let ids: Vec<&str> = negotiating.iter().map(|a| a.id.as_str()).collect();
    assert!(
        ids.contains(&"kor-jpn") && ids.contains(&"kor-mex"),
        "{ids:?}"
    );
    let japan = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "Japan".into(),
            ..Default::default()
        })
        .await;
    assert!(
        japan.iter().any(|a| a.id == "kor-jpn"),
        "found by its partner's name"
    );
    app.stop().await;
}
