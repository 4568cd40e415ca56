//! Agreements and their dated events, and how the events determine an
//! agreement's status on any date.

use std::sync::Arc;

use super::{EconomyCode, Membership, PartialDate, Source};

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
    /// The agreement ceased to apply to `party` from this date (the United
    /// Kingdom and the EU's agreements from 2021-01-01).
    Withdrawn,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 17] = [
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
        Self::Withdrawn,
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
            Self::Withdrawn => "withdrawn",
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
            Self::Terminated | Self::Withdrawn => Some(S::Terminated),
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

/// The part of an agreement an event concerns: the WTO dates goods and
/// services apart when they differ (Korea–Türkiye: goods in force from
/// 2013, services from 2018).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Scope {
    /// The whole agreement.
    #[default]
    All,
    Goods,
    Services,
}

impl Scope {
    /// The name used in the dataset file and the database ("" for `All`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "",
            Self::Goods => "goods",
            Self::Services => "services",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::All, Self::Goods, Self::Services]
            .into_iter()
            .find(|scope| scope.as_str() == text)
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
    /// Goods or services alone, when the sources date them apart.
    pub scope: Scope,
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
            && self.scope == other.scope
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

/// Adds the sources not already cited: the same key, or the same page
/// compiled by hand (the WTO's ID card cited by the curated data and by the
/// world file). A refresh's retrieval of a page is cited on its own: it
/// says when the page was read.
pub fn add_sources(mine: &mut Vec<Arc<Source>>, more: Vec<Arc<Source>>) {
    let same_page = |a: &Source, b: &Source| {
        !a.url.is_empty() && a.url == b.url && a.retrieved_at.is_none() && b.retrieved_at.is_none()
    };
    for source in more {
        let cited = mine
            .iter()
            .any(|s| s.key == source.key || same_page(s, &source));
        if !cited {
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
    /// The WTO's record of it, for agreements notified to the WTO.
    pub wto: Option<WtoListing>,
}

/// What an agreement covers, in the WTO's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Coverage {
    #[default]
    Unknown,
    Goods,
    Services,
    GoodsAndServices,
}

impl Coverage {
    /// The name used in the dataset file and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "",
            Self::Goods => "goods",
            Self::Services => "services",
            Self::GoodsAndServices => "goods_and_services",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Unknown,
            Self::Goods,
            Self::Services,
            Self::GoodsAndServices,
        ]
        .into_iter()
        .find(|coverage| coverage.as_str() == text)
    }
}

/// What the WTO's Regional Trade Agreements database (RTA-IS) says about an
/// agreement beyond its dates, which become events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WtoListing {
    /// The RTA-IS identifier (Korea–Cambodia = 1168); stable, and answered
    /// by `GetAgreement` as `wto:1168`.
    pub rta_id: u32,
    /// The WTO's types, each alone: "FTA", "EIA", "CU", "PSA".
    pub types: Vec<String>,
    pub coverage: Coverage,
    /// "Bilateral", "Plurilateral; One Party is an RTA"...
    pub composition: String,
    /// The WTO's regions of the parties ("East Asia", "Central America").
    pub regions: Vec<String>,
    /// For an accession, the RTA-IS id of the agreement it joins.
    pub accession_to: Option<u32>,
    /// The WTO's own status words ("In Force", "Inactive",
    /// "Early announcement-Signed").
    pub status: String,
}

/// One party's own standing in an agreement on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyStanding {
    pub party: EconomyCode,
    /// The group through which it is a party (a member of the EU in an EU
    /// agreement); `None` for a party in its own right.
    pub via: Option<EconomyCode>,
    /// `None` when no status-setting event concerned it yet.
    pub status: Option<StatusAt>,
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

    /// The status of the agreement as a whole on `as_of`, or now when
    /// `as_of` is `None`.
    ///
    /// An event counts on a date only once its whole period has passed: an event
    /// known only as "February 2022" has not certainly happened by 2022-02-15.
    /// Events of unknown date count only for the current status, and only when
    /// they move the agreement further along its lifecycle than its dated events.
    /// An event of one party or of goods or services alone only moves the
    /// whole agreement forward (it is in force once in force for one party),
    /// and one party's withdrawal or termination is that party's alone.
    pub fn status(&self, as_of: Option<PartialDate>) -> Option<StatusAt> {
        fold_status(
            self.events.iter().filter_map(|event| {
                let next = event.kind.resulting_status()?;
                let partial = event.party.is_some() || event.scope != Scope::All;
                if event.party.is_some() && next == AgreementStatus::Terminated {
                    return None;
                }
                Some((event, next, partial))
            }),
            as_of,
        )
    }

    /// The status of one direct party on `as_of`: the events that concern
    /// every party, except that where the party has its own event of a
    /// kind (Panama's own entry into force of Korea–Central America), its
    /// own replaces the common one.
    fn own_status(&self, party: &EconomyCode, as_of: Option<PartialDate>) -> Option<StatusAt> {
        let own_kinds: Vec<EventKind> = self
            .events
            .iter()
            .filter(|event| event.party.as_ref() == Some(party))
            .map(|event| event.kind)
            .collect();
        fold_status(
            self.events.iter().filter_map(|event| {
                let next = event.kind.resulting_status()?;
                let applies = match &event.party {
                    Some(own) => own == party,
                    None => !own_kinds.contains(&event.kind),
                };
                applies.then_some((event, next, event.scope != Scope::All))
            }),
            as_of,
        )
    }

    /// Each party's own standing on `as_of` (now when `None`): every direct
    /// party, and for each group among them, the economies that were its
    /// members on that date (or had been: a member that left stands as
    /// TERMINATED from the day after it left). `members` gives a group's
    /// membership periods.
    pub fn party_standings<'a>(
        &self,
        as_of: Option<PartialDate>,
        members: impl Fn(&EconomyCode) -> &'a [Membership],
    ) -> Vec<PartyStanding> {
        let mut standings = Vec::new();
        for party in &self.parties {
            let status = self.own_status(party, as_of);
            standings.push(PartyStanding {
                party: party.clone(),
                via: None,
                status,
            });
            for membership in members(party) {
                if let Some(standing) = self.member_standing(party, status, membership, as_of)
                    && !standings.iter().any(|s| s.party == standing.party)
                {
                    standings.push(standing);
                }
            }
        }
        standings
    }

    /// One economy's standing through its group's membership, or `None`
    /// when it was not (yet) a member on `as_of`.
    fn member_standing(
        &self,
        group: &EconomyCode,
        group_status: Option<StatusAt>,
        membership: &Membership,
        as_of: Option<PartialDate>,
    ) -> Option<PartyStanding> {
        let member = &membership.economy;
        let own = self.own_status(member, as_of);
        let status = match as_of {
            Some(day) if membership.is_member_on(day) => own.or(group_status),
            None if membership.to.is_none() => own.or(group_status),
            Some(day) if !membership.from.is_certainly_on_or_before(day) => return None,
            _ => {
                // It left: no longer a party from the day after it left,
                // if the agreement concerned the group by then at all.
                let left = membership.to?;
                group_status?;
                self.own_status(group, Some(left))?;
                Some(StatusAt {
                    status: AgreementStatus::Terminated,
                    since: Some(left.day_after()),
                })
            }
        };
        let status = status.map(|at| StatusAt {
            // A member that joined after the group's step stands there
            // only from the day it joined.
            since: match at.since {
                Some(since)
                    if since < membership.from && at.status != AgreementStatus::Terminated =>
                {
                    Some(membership.from)
                }
                other => other,
            },
            ..at
        });
        Some(PartyStanding {
            party: member.clone(),
            via: Some(group.clone()),
            status,
        })
    }

    /// The start of the first dated event that gave the agreement a status
    /// (a proposal, a launch...): before it, the agreement did not exist.
    /// Context such as diplomatic relations does not count.
    pub fn first_dated(&self) -> Option<PartialDate> {
        self.events
            .iter()
            .filter(|event| event.kind.resulting_status().is_some())
            .filter_map(|event| event.start)
            .min()
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
            let same = self
                .events
                .iter()
                .position(|mine| mine.same_event_as(&event))
                .or_else(|| self.whole_agreement_event_on_the_same_day(&event));
            match same {
                Some(index) => self.events[index].absorb(event),
                None => self.insert_in_date_order(event),
            }
        }
    }

    /// For a step of goods or services alone, the step of the whole
    /// agreement on the same day, which already says it: the WTO dating
    /// goods apart from services does not make Korea–ASEAN's goods
    /// signature a second signature.
    fn whole_agreement_event_on_the_same_day(&self, event: &AgreementEvent) -> Option<usize> {
        if event.scope == Scope::All || event.start.is_none() {
            return None;
        }
        self.events.iter().position(|mine| {
            mine.scope == Scope::All
                && mine.kind == event.kind
                && mine.party == event.party
                && mine.start == event.start
        })
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

    /// The RTA-IS id, for agreements the WTO lists.
    pub fn wto_rta_id(&self) -> Option<u32> {
        self.wto.as_ref().map(|wto| wto.rta_id)
    }

    /// The official negotiation rounds, in order.
    pub fn rounds(&self) -> impl Iterator<Item = &AgreementEvent> {
        self.events
            .iter()
            .filter(|event| event.kind == EventKind::Round)
    }
}

/// Folds status-setting events, in order, into the status on `as_of`.
/// `partial` events (one party's, or goods or services alone) only move
/// the status forward.
fn fold_status<'a>(
    events: impl Iterator<Item = (&'a AgreementEvent, AgreementStatus, bool)>,
    as_of: Option<PartialDate>,
) -> Option<StatusAt> {
    let mut current: Option<StatusAt> = None;
    for (event, next, partial) in events {
        match (event.start, as_of) {
            (Some(_), Some(day)) if !event.happened_by(day) => continue,
            (None, Some(_)) => continue,
            (None, None) if current.is_some_and(|c| c.status.stage() >= next.stage()) => {
                continue;
            }
            _ => {}
        }
        if partial && current.is_some_and(|c| c.status.stage() >= next.stage()) {
            continue;
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

#[cfg(test)]
mod tests;
