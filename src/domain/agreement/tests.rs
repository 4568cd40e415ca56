use super::*;

fn event(kind: EventKind, start: Option<&str>) -> AgreementEvent {
    AgreementEvent {
        kind,
        start: start.map(|s| PartialDate::parse(s).expect("valid date")),
        end: None,
        round_number: None,
        format: MeetingFormat::Unspecified,
        venue: String::new(),
        party: None,
        scope: Scope::All,
        note: String::new(),
        sources: Vec::new(),
        conflicts: Vec::new(),
    }
}

fn agreement(events: Vec<AgreementEvent>) -> Agreement {
    Agreement {
        id: "kor-tst".into(),
        name: "Test".into(),
        kind: "FTA".into(),
        parties: vec![],
        note: String::new(),
        sources: vec![],
        events,
        wto: None,
    }
}

fn day(text: &str) -> Option<PartialDate> {
    Some(PartialDate::parse(text).expect("valid date"))
}

#[track_caller]
fn check(agreement: &Agreement, as_of: Option<&str>, expected: Option<(AgreementStatus, &str)>) {
    let got = agreement
        .status(as_of.and_then(day))
        .map(|s| (s.status, s.since.map(|d| d.to_string()).unwrap_or_default()));
    let expected = expected.map(|(status, since)| (status, since.to_owned()));
    assert_eq!(got, expected, "as of {as_of:?}");
}

#[test]
fn status_follows_the_lifecycle_on_each_date() {
    use AgreementStatus::*;
    use EventKind as K;
    let khm = agreement(vec![
        event(K::Proposed, Some("2019-03-15")),
        event(K::Launched, Some("2020-07-09")),
        event(K::Round, Some("2020-07-30")),
        event(K::Concluded, Some("2021-02-03")),
        event(K::Signed, Some("2021-10-26")),
        event(K::Ratified, Some("2021-12-29")),
        event(K::EnteredIntoForce, Some("2022-12-01")),
        event(K::NotifiedToWto, Some("2023-06-21")),
    ]);
    check(&khm, Some("2019-03-14"), None);
    check(&khm, Some("2020-10-06"), Some((Negotiating, "2020-07-09")));
    check(&khm, Some("2021-12-30"), Some((Signed, "2021-10-26")));
    check(&khm, None, Some((InForce, "2022-12-01")));
}

#[test]
fn suspension_and_resumption_change_status() {
    use AgreementStatus::*;
    use EventKind as K;
    let idn = agreement(vec![
        event(K::Launched, Some("2012")),
        event(K::Suspended, Some("2014-02")),
        event(K::Resumed, Some("2019-02-19")),
    ]);
    check(&idn, Some("2014-02-10"), Some((Negotiating, "2012")));
    check(&idn, Some("2014-03-01"), Some((Suspended, "2014-02")));
    check(&idn, Some("2019-02-19"), Some((Negotiating, "2019-02-19")));
}

#[test]
fn undated_events_only_move_the_current_status_forward() {
    use AgreementStatus::*;
    use EventKind as K;
    let investment = agreement(vec![
        event(K::Signed, Some("2009-06-02")),
        event(K::EnteredIntoForce, None),
    ]);
    check(&investment, None, Some((InForce, "")));
    check(
        &investment,
        Some("2025-01-01"),
        Some((Signed, "2009-06-02")),
    );

    let mys = agreement(vec![
        event(K::Launched, Some("2019-06-27")),
        event(K::Round, None),
        event(K::Concluded, Some("2025-10-26")),
    ]);
    check(&mys, None, Some((Concluded, "2025-10-26")));
}

#[test]
fn as_of_leaves_out_later_and_undated_events() {
    use EventKind as K;
    let khm = agreement(vec![
        event(K::Launched, Some("2020-07-09")),
        event(K::Round, Some("2020-10-06")),
        event(K::Round, Some("2020-11-18")),
        event(K::Round, None),
    ]);
    let past = khm.as_of(PartialDate::parse("2020-10-06").expect("valid date"));
    assert_eq!(past.events.len(), 2);
}

#[test]
fn coarse_dates_may_stand_anywhere_in_their_period_but_not_before_it() {
    use EventKind as K;
    let mys = agreement(vec![
        event(K::Launched, Some("2019-06-27")),
        event(K::Round, Some("2019")),
        event(K::Round, Some("2019-09")),
    ]);
    assert_eq!(mys.first_out_of_order(), None);
    let wrong = agreement(vec![
        event(K::Signed, Some("2021-10-26")),
        event(K::Round, None),
        event(K::Concluded, Some("2021-02-03")),
    ]);
    assert_eq!(wrong.first_out_of_order(), Some(2));
}

#[test]
fn a_year_only_event_does_not_take_the_date_of_a_precise_one() {
    use AgreementStatus::*;
    use EventKind as K;
    let mys = agreement(vec![
        event(K::Launched, Some("2019-06-27")),
        event(K::Round, Some("2019")),
    ]);
    check(&mys, None, Some((Negotiating, "2019-06-27")));
    check(&mys, Some("2019-07-01"), Some((Negotiating, "2019-06-27")));
}

fn sourced(kind: EventKind, start: Option<&str>, key: &str) -> AgreementEvent {
    AgreementEvent {
        sources: vec![Arc::new(Source {
            key: key.into(),
            title: key.into(),
            publisher: key.into(),
            url: String::new(),
            published: None,
            retrieved_at: None,
            license: String::new(),
            redistributable: true,
        })],
        ..event(kind, start)
    }
}

#[test]
fn merging_the_same_date_adds_the_source() {
    use EventKind as K;
    let mut khm = agreement(vec![sourced(
        K::EnteredIntoForce,
        Some("2022-12-01"),
        "motie",
    )]);
    khm.merge_events([sourced(K::EnteredIntoForce, Some("2022-12-01"), "wto")]);
    assert_eq!(khm.events.len(), 1);
    let keys: Vec<_> = khm.events[0]
        .sources
        .iter()
        .map(|s| s.key.as_str())
        .collect();
    assert_eq!(keys, ["motie", "wto"]);
    assert!(khm.events[0].conflicts.is_empty());
}

#[test]
fn merging_never_overwrites_a_more_precise_date() {
    use EventKind as K;
    let mut asean = agreement(vec![sourced(
        K::EnteredIntoForce,
        Some("2007-06-01"),
        "donga",
    )]);
    asean.merge_events([sourced(K::EnteredIntoForce, Some("2010-01-01"), "wto")]);
    let eif = &asean.events[0];
    assert_eq!(
        eif.start.map(|d| d.to_string()).as_deref(),
        Some("2007-06-01")
    );
    assert_eq!(eif.conflicts.len(), 1, "the WTO date is kept as a conflict");
    assert_eq!(eif.conflicts[0].sources[0].key, "wto");

    let mut sgp = agreement(vec![sourced(K::EnteredIntoForce, Some("2006-03"), "motie")]);
    sgp.merge_events([sourced(K::EnteredIntoForce, Some("2006-03-02"), "wto")]);
    let eif = &sgp.events[0];
    assert_eq!(
        eif.start.map(|d| d.to_string()).as_deref(),
        Some("2006-03-02"),
        "a day beats a month"
    );
    assert_eq!(
        eif.conflicts[0].start.map(|d| d.to_string()).as_deref(),
        Some("2006-03")
    );
}

#[test]
fn merging_inserts_missing_events_in_date_order_and_moves_the_status() {
    use AgreementStatus::*;
    use EventKind as K;
    let mut ecu = agreement(vec![
        sourced(K::Concluded, Some("2023-10-11"), "a"),
        sourced(K::Signed, Some("2025-09-02"), "b"),
    ]);
    ecu.merge_events([
        sourced(K::NotifiedToWto, Some("2026-03-01"), "wto"),
        sourced(K::EnteredIntoForce, Some("2026-01-01"), "wto"),
    ]);
    let kinds: Vec<_> = ecu.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            K::Concluded,
            K::Signed,
            K::EnteredIntoForce,
            K::NotifiedToWto
        ]
    );
    assert_eq!(ecu.first_out_of_order(), None);
    check(&ecu, None, Some((InForce, "2026-01-01")));
}

#[test]
fn every_event_kind_round_trips_through_its_name() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(EventKind::parse("launch"), None);
}

fn code(text: &str) -> EconomyCode {
    EconomyCode::parse(text).expect("code")
}

fn of_party(kind: EventKind, start: &str, party: &str) -> AgreementEvent {
    AgreementEvent {
        party: Some(code(party)),
        ..event(kind, Some(start))
    }
}

fn member(economy: &str, from: &str, to: Option<&str>) -> Membership {
    Membership {
        economy: code(economy),
        from: PartialDate::parse(from).expect("date"),
        to: to.map(|to| PartialDate::parse(to).expect("date")),
        note: None,
        sources: Vec::new(),
    }
}

fn standing(
    agreement: &Agreement,
    members: &[Membership],
    party: &str,
    as_of: Option<&str>,
) -> Option<(AgreementStatus, Option<PartialDate>, Option<EconomyCode>)> {
    let as_of = as_of.map(|d| PartialDate::parse(d).expect("date"));
    agreement
        .party_standings(
            as_of,
            |group| {
                if group.as_str() == "EU" { members } else { &[] }
            },
        )
        .into_iter()
        .find(|s| s.party == code(party))
        .map(|s| {
            let status = s.status.expect("a status");
            (status.status, status.since, s.via)
        })
}

#[test]
fn a_party_with_its_own_entry_into_force_stands_apart_from_the_others() {
    use AgreementStatus::*;
    use EventKind as K;
    let mut central_america = agreement(vec![
        event(K::Signed, Some("2018-02-21")),
        event(K::EnteredIntoForce, Some("2019-10-01")),
        of_party(K::EnteredIntoForce, "2021-03-01", "PAN"),
    ]);
    central_america.parties = vec![code("KOR"), code("HND"), code("PAN")];
    let members: &[Membership] = &[];
    assert_eq!(
        standing(&central_america, members, "HND", Some("2020-01-01")),
        Some((InForce, day("2019-10-01"), None))
    );
    assert_eq!(
        standing(&central_america, members, "PAN", Some("2020-01-01")),
        Some((Signed, day("2018-02-21"), None))
    );
    assert_eq!(
        standing(&central_america, members, "PAN", None),
        Some((InForce, day("2021-03-01"), None))
    );
    // The whole agreement was in force from the first party's entry.
    assert_eq!(
        central_america.status(day("2020-01-01")).map(|s| s.status),
        Some(InForce)
    );
}

#[test]
fn group_members_stand_from_joining_and_leave_as_terminated() {
    use AgreementStatus::*;
    use EventKind as K;
    let mut eu_korea = agreement(vec![
        event(K::Signed, Some("2010-10-06")),
        event(K::ProvisionallyApplied, Some("2011-07-01")),
        event(K::EnteredIntoForce, Some("2015-12-13")),
    ]);
    eu_korea.parties = vec![code("EU"), code("KOR")];
    let members = [
        member("DEU", "1958-01-01", None),
        member("HRV", "2013-07-01", None),
        member("GBR", "1973-01-01", Some("2020-12-31")),
    ];
    let eu = Some(code("EU"));
    // Croatia was not a party before it joined, then stood where the EU did.
    assert_eq!(
        standing(&eu_korea, &members, "HRV", Some("2012-01-01")),
        None
    );
    assert_eq!(
        standing(&eu_korea, &members, "HRV", Some("2014-01-01")),
        Some((ProvisionallyApplied, day("2013-07-01"), eu.clone()))
    );
    assert_eq!(
        standing(&eu_korea, &members, "DEU", Some("2014-01-01")),
        Some((ProvisionallyApplied, day("2011-07-01"), eu.clone()))
    );
    // The United Kingdom was a party through the EU until 2020-12-31.
    assert_eq!(
        standing(&eu_korea, &members, "GBR", Some("2020-12-31")),
        Some((InForce, day("2015-12-13"), eu.clone()))
    );
    assert_eq!(
        standing(&eu_korea, &members, "GBR", Some("2021-01-01")),
        Some((Terminated, day("2021-01-01"), eu.clone()))
    );
    assert_eq!(
        standing(&eu_korea, &members, "GBR", None),
        Some((Terminated, day("2021-01-01"), eu))
    );
}

#[test]
fn a_member_that_left_before_the_agreement_was_never_a_party() {
    use EventKind as K;
    let mut later = agreement(vec![event(K::Signed, Some("2023-01-01"))]);
    later.parties = vec![code("EU"), code("NZL")];
    let members = [member("GBR", "1973-01-01", Some("2020-12-31"))];
    assert_eq!(standing(&later, &members, "GBR", None), None);
}

#[test]
fn one_partys_withdrawal_does_not_end_the_agreement() {
    use AgreementStatus::*;
    use EventKind as K;
    let mut efta = agreement(vec![
        event(K::EnteredIntoForce, Some("1960-05-03")),
        of_party(K::Withdrawn, "1973-01-01", "GBR"),
    ]);
    efta.parties = vec![code("CHE"), code("GBR")];
    assert_eq!(efta.status(None).map(|s| s.status), Some(InForce));
    assert_eq!(
        standing(&efta, &[], "GBR", None),
        Some((Terminated, day("1973-01-01"), None))
    );
    assert_eq!(
        standing(&efta, &[], "GBR", Some("1972-12-31")),
        Some((InForce, day("1960-05-03"), None))
    );
}

#[test]
fn a_later_step_of_goods_or_services_alone_does_not_take_the_agreement_back() {
    use AgreementStatus::*;
    use EventKind as K;
    let services = |kind, start| AgreementEvent {
        scope: Scope::Services,
        ..event(kind, Some(start))
    };
    let turkiye = agreement(vec![
        event(K::Signed, Some("2012-08-01")),
        event(K::EnteredIntoForce, Some("2013-05-01")),
        services(K::Signed, "2015-02-26"),
        services(K::EnteredIntoForce, "2018-08-01"),
    ]);
    assert_eq!(
        turkiye.status(day("2016-01-01")),
        Some(StatusAt {
            status: InForce,
            since: day("2013-05-01")
        })
    );
}
