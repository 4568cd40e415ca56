use super::*;

const EXPORT: &[u8] =
    include_bytes!("../../../data/wto/rtais_ExportAllRTAList__AllRTAs_sheet__2026-02-01.csv");

fn rows() -> Vec<RtaRow> {
    wto::parse(EXPORT).expect("the recorded export parses")
}

fn mapped(rta_id: u32) -> Agreement {
    let row = rows()
        .into_iter()
        .find(|row| row.rta_id == rta_id)
        .expect("row in the export");
    let source = Arc::new(recorded_source(&row, "2026-02-01"));
    agreement(&row, &source).expect("row maps")
}

fn date(text: &str) -> PartialDate {
    PartialDate::parse(text).expect("date")
}

fn code(text: &str) -> EconomyCode {
    EconomyCode::parse(text).expect("code")
}

#[test]
fn every_row_of_the_recorded_export_maps_to_one_agreement() {
    let rows = rows();
    assert_eq!(rows.len(), 655);
    for row in &rows {
        let source = Arc::new(recorded_source(row, "2026-02-01"));
        let agreement = agreement(row, &source).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(agreement.id, format!("wto-{}", row.rta_id));
        assert!(agreement.first_out_of_order().is_none(), "{}", row.name);
    }
}

#[test]
fn per_party_entry_replaces_the_common_date_for_that_party_only() {
    // Korea–Central America: in force 2019-10-01 for Honduras, Nicaragua and
    // Korea; Panama's own entry is 2021-03-01.
    let agreement = mapped(901);
    let standing = |party: &str, day: &str| {
        agreement
            .party_standings(Some(date(day)), |_| &[])
            .into_iter()
            .find(|s| s.party == code(party))
            .and_then(|s| s.status)
            .map(|s| (s.status, s.since))
    };
    let in_force = crate::domain::AgreementStatus::InForce;
    let signed = crate::domain::AgreementStatus::Signed;
    assert_eq!(
        standing("HND", "2019-10-01"),
        Some((in_force, Some(date("2019-10-01"))))
    );
    assert_eq!(
        standing("PAN", "2020-06-01"),
        Some((signed, Some(date("2018-02-21"))))
    );
    assert_eq!(
        standing("PAN", "2021-03-01"),
        Some((in_force, Some(date("2021-03-01"))))
    );
    assert_eq!(
        agreement.status(Some(date("2020-06-01"))).map(|s| s.status),
        Some(in_force)
    );
}

#[test]
fn goods_and_services_dated_apart_become_scoped_events() {
    // Korea–Türkiye: goods in force 2013, services signed 2015-02-26 and in
    // force 2018-08-01.
    let agreement = mapped(699);
    let services_in_force = agreement
        .events
        .iter()
        .find(|e| e.kind == EventKind::EnteredIntoForce && e.scope == Scope::Services)
        .expect("services entry into force");
    assert_eq!(services_in_force.start, Some(date("2018-08-01")));
    // The services signature of 2015 does not take the whole agreement back
    // to SIGNED.
    assert_eq!(
        agreement.status(Some(date("2016-01-01"))).map(|s| s.status),
        Some(crate::domain::AgreementStatus::InForce)
    );
}

#[test]
fn an_exit_is_dated_the_first_day_the_agreement_no_longer_applied() {
    let agreement = mapped(148);
    let exit = agreement
        .events
        .iter()
        .find(|e| e.kind == EventKind::Withdrawn && e.party == Some(code("GBR")))
        .expect("the United Kingdom's exit");
    assert_eq!(exit.start, Some(date("2021-01-01")));
}

#[test]
fn an_accession_links_to_the_agreement_it_joins() {
    let rows = rows();
    let mut agreements: Vec<Agreement> = rows
        .iter()
        .map(|row| agreement(row, &Arc::new(recorded_source(row, "2026-02-01"))).expect("maps"))
        .collect();
    link_accessions(&rows, &mut agreements);
    let joined = |rta_id: u32| {
        let accession = agreements
            .iter()
            .find(|a| a.wto_rta_id() == Some(rta_id))
            .expect("accession");
        let joined = accession.wto.as_ref().and_then(|w| w.accession_to);
        agreements
            .iter()
            .find(|a| a.wto_rta_id() == joined)
            .map(|a| a.name.as_str())
    };
    assert_eq!(
        joined(1218),
        Some("Comprehensive and Progressive Agreement for Trans-Pacific Partnership (CPTPP)")
    );
    assert_eq!(
        joined(950),
        Some("EFTA - Central America (Costa Rica and Panama)")
    );
    // "EC (10) Enlargement" names no agreement it joins.
    assert_eq!(joined(137), None);
}

#[test]
fn an_early_announcement_stands_at_its_undated_step() {
    let agreement = mapped(155); // Australia – GCC, under negotiation
    assert_eq!(
        agreement.status(None).map(|s| s.status),
        Some(crate::domain::AgreementStatus::Negotiating)
    );
    assert_eq!(agreement.parties, vec![code("AUS"), code("GCC")]);
}
