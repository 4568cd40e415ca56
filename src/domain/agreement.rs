//! Agreements and their dated events, and how the events determine an
//! agreement's status on any date.

use std::sync::Arc;

use super::{EconomyCode, PartialDate, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgreementStatus {
    Proposed,
    JointStudy,
    Negotiating,
    Suspended,
    Concluded,
    Signed,
    InForce,
    Terminated,
}

impl AgreementStatus {
    /// How far along the lifecycle a status is; a suspension sits with negotiation.
    fn stage(self) -> u8 {
        match self {
            Self::Proposed => 1,
            Self::JointStudy => 2,
            Self::Negotiating | Self::Suspended => 3,
            Self::Concluded => 4,
            Self::Signed => 5,
            Self::InForce => 6,
            Self::Terminated => 7,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Proposed,
    JointStudy,
    Launched,
    Round,
    Suspended,
    Resumed,
    Concluded,
    Initialled,
    Signed,
    Ratified,
    EnteredIntoForce,
    ProvisionallyApplied,
    NotifiedToWto,
    JointCommittee,
    Terminated,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 16] = [
        Self::Proposed,
        Self::JointStudy,
        Self::Launched,
        Self::Round,
        Self::Suspended,
        Self::Resumed,
        Self::Concluded,
        Self::Initialled,
        Self::Signed,
        Self::Ratified,
        Self::EnteredIntoForce,
        Self::ProvisionallyApplied,
        Self::NotifiedToWto,
        Self::JointCommittee,
        Self::Terminated,
        Self::Other,
    ];

    /// The name used in the dataset file and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::JointStudy => "joint_study",
            Self::Launched => "launched",
            Self::Round => "round",
            Self::Suspended => "suspended",
            Self::Resumed => "resumed",
            Self::Concluded => "concluded",
            Self::Initialled => "initialled",
            Self::Signed => "signed",
            Self::Ratified => "ratified",
            Self::EnteredIntoForce => "entered_into_force",
            Self::ProvisionallyApplied => "provisionally_applied",
            Self::NotifiedToWto => "notified_to_wto",
            Self::JointCommittee => "joint_committee",
            Self::Terminated => "terminated",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The status an event of this kind puts the agreement in, if it changes it.
    pub fn resulting_status(self) -> Option<AgreementStatus> {
        use AgreementStatus as S;
        match self {
            Self::Proposed => Some(S::Proposed),
            Self::JointStudy => Some(S::JointStudy),
            Self::Launched | Self::Round | Self::Resumed => Some(S::Negotiating),
            Self::Suspended => Some(S::Suspended),
            Self::Concluded | Self::Initialled => Some(S::Concluded),
            Self::Signed | Self::Ratified => Some(S::Signed),
            Self::EnteredIntoForce | Self::ProvisionallyApplied => Some(S::InForce),
            Self::Terminated => Some(S::Terminated),
            Self::NotifiedToWto | Self::JointCommittee | Self::Other => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MeetingFormat {
    #[default]
    Unspecified,
    InPerson,
    Virtual,
    Hybrid,
}

impl MeetingFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "",
            Self::InPerson => "in_person",
            Self::Virtual => "virtual",
            Self::Hybrid => "hybrid",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Unspecified,
            Self::InPerson,
            Self::Virtual,
            Self::Hybrid,
        ]
        .into_iter()
        .find(|format| format.as_str() == text)
    }
}

/// Another source's dates for the same event.
#[derive(Debug, Clone, PartialEq)]
pub struct AlternativeDate {
    pub start: Option<PartialDate>,
    pub end: Option<PartialDate>,
    pub sources: Vec<Arc<Source>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgreementEvent {
    pub kind: EventKind,
    /// `None` when a source says the event happened but not when.
    pub start: Option<PartialDate>,
    pub end: Option<PartialDate>,
    pub round_number: Option<u32>,
    pub format: MeetingFormat,
    pub venue: String,
    pub party: Option<EconomyCode>,
    pub note: String,
    pub sources: Vec<Arc<Source>>,
    pub conflicts: Vec<AlternativeDate>,
}

impl AgreementEvent {
    /// True when the event certainly took place by `day`.
    fn happened_by(&self, day: PartialDate) -> bool {
        self.start
            .is_some_and(|start| start.is_certainly_on_or_before(day))
    }
}

impl AgreementEvent {
    fn same_event_as(&self, other: &AgreementEvent) -> bool {
        self.kind == other.kind
            && self.party == other.party
            && self.round_number == other.round_number
    }

    /// Takes in another source's account of this same event.
    fn absorb(&mut self, other: AgreementEvent) {
        if self.start == other.start && self.end == other.end {
            add_sources(&mut self.sources, other.sources);
            return;
        }
        let alternative_of = |event: &AgreementEvent| AlternativeDate {
            start: event.start,
            end: event.end,
            sources: event.sources.clone(),
        };
        if is_more_precise(other.start, self.start) {
            let demoted = alternative_of(self);
            self.start = other.start;
            self.end = other.end;
            self.sources = other.sources;
            self.conflicts.push(demoted);
        } else {
            let alternative = alternative_of(&other);
            if !self
                .conflicts
                .iter()
                .any(|c| c.start == alternative.start && c.end == alternative.end)
            {
                self.conflicts.push(alternative);
            }
        }
        self.conflicts
            .retain(|c| c.start != self.start || c.end != self.end);
    }
}

fn add_sources(mine: &mut Vec<Arc<Source>>, more: Vec<Arc<Source>>) {
    for source in more {
        if !mine.iter().any(|s| s.key == source.key) {
            mine.push(source);
        }
    }
}

/// True when `candidate` is known and strictly more precise than `current`
/// (or `current` is not known at all).
fn is_more_precise(candidate: Option<PartialDate>, current: Option<PartialDate>) -> bool {
    let rank = |date: PartialDate| match (date.month(), date.day()) {
        (0, _) => 0,
        (_, 0) => 1,
        _ => 2,
    };
    match (candidate, current) {
        (Some(_), None) => true,
        (Some(new), Some(old)) => rank(new) > rank(old),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parties: Vec<EconomyCode>,
    pub note: String,
    pub sources: Vec<Arc<Source>>,
    /// Events in chronological order as far as their precision allows; an
    /// event of unknown date stands where the sources place it.
    pub events: Vec<AgreementEvent>,
}

/// An agreement's status and the date of the event that put it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusAt {
    pub status: AgreementStatus,
    /// `None` when the event that set the status has no known date.
    pub since: Option<PartialDate>,
}

impl Agreement {
    /// The index of the first dated event that certainly happened before the
    /// dated event listed ahead of it, if any. Events are kept in the order the
    /// dataset gives, because only its curator knows where "2019" falls among
    /// the days of 2019; this check keeps that order honest.
    pub fn first_out_of_order(&self) -> Option<usize> {
        let mut previous: Option<PartialDate> = None;
        for (index, event) in self.events.iter().enumerate() {
            let Some(start) = event.start else { continue };
            if previous.is_some_and(|before| start.latest() < before.earliest()) {
                return Some(index);
            }
            previous = Some(start);
        }
        None
    }

    /// The status in force on `as_of`, or now when `as_of` is `None`.
    ///
    /// An event counts on a date only once its whole period has passed: an event
    /// known only as "February 2022" has not certainly happened by 2022-02-15.
    /// Events of unknown date count only for the current status, and only when
    /// they move the agreement further along its lifecycle than its dated events.
    pub fn status(&self, as_of: Option<PartialDate>) -> Option<StatusAt> {
        let mut current: Option<StatusAt> = None;
        for event in &self.events {
            let Some(next) = event.kind.resulting_status() else {
                continue;
            };
            match (event.start, as_of) {
                (Some(_), Some(day)) if !event.happened_by(day) => continue,
                (None, Some(_)) => continue,
                (None, None) if current.is_some_and(|c| c.status.stage() >= next.stage()) => {
                    continue;
                }
                _ => {}
            }
            if current.is_none_or(|c| c.status != next) {
                current = Some(StatusAt {
                    status: next,
                    since: event.start,
                });
            }
        }
        current
    }

    /// The agreement as it stood on `as_of`: events after that date left out.
    pub fn as_of(&self, day: PartialDate) -> Agreement {
        Agreement {
            events: self
                .events
                .iter()
                .filter(|event| event.happened_by(day))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    /// Folds in events another source gives for this agreement (the WTO's
    /// dates, say) without losing anything already known:
    /// - the same event with the same date gains the other source;
    /// - the same event with a different date keeps the more precise date as
    ///   preferred and records the other as a conflict;
    /// - an event this agreement lacks is inserted in date order.
    ///
    /// "The same event" is the same kind, party and round number.
    pub fn merge_events(&mut self, extra: impl IntoIterator<Item = AgreementEvent>) {
        for event in extra {
            match self
                .events
                .iter()
                .position(|mine| mine.same_event_as(&event))
            {
                Some(index) => self.events[index].absorb(event),
                None => self.insert_in_date_order(event),
            }
        }
    }

    fn insert_in_date_order(&mut self, event: AgreementEvent) {
        let index = match event.start {
            // Before the first event that certainly comes after it.
            Some(start) => self
                .events
                .iter()
                .position(|e| e.start.is_some_and(|s| s.earliest() > start.latest()))
                .unwrap_or(self.events.len()),
            None => self.events.len(),
        };
        self.events.insert(index, event);
    }

    /// True when `code` is a party, directly or (given `members_of`) through a group.
    pub fn has_party<'a>(
        &self,
        code: &EconomyCode,
        members_of: impl Fn(&EconomyCode) -> &'a [EconomyCode],
    ) -> bool {
        self.parties
            .iter()
            .any(|party| party == code || members_of(party).contains(code))
    }

    /// The official negotiation rounds, in order.
    pub fn rounds(&self) -> impl Iterator<Item = &AgreementEvent> {
        self.events
            .iter()
            .filter(|event| event.kind == EventKind::Round)
    }
}

#[cfg(test)]
mod tests {
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
        }
    }

    fn day(text: &str) -> Option<PartialDate> {
        Some(PartialDate::parse(text).expect("valid date"))
    }

    #[track_caller]
    fn check(
        agreement: &Agreement,
        as_of: Option<&str>,
        expected: Option<(AgreementStatus, &str)>,
    ) {
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
}
