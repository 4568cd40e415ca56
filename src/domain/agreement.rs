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
    /// Applied ahead of entry into force (Korea–EU, 2011–2015).
    ProvisionallyApplied,
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
            Self::ProvisionallyApplied => 6,
            Self::InForce => 7,
            Self::Terminated => 8,
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
            Self::ProvisionallyApplied => Some(S::ProvisionallyApplied),
            Self::EnteredIntoForce => Some(S::InForce),
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
mod tests;
