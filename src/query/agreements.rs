//! Agreement questions: one agreement (now or on a date), filtered lists with
//! paging, and negotiation rounds.

use crate::domain::{
    Agreement, AgreementEvent, AgreementStatus, Dataset, EconomyCode, Membership, PartialDate,
    PartyStanding, StatusAt, normalise, registry, similar,
};

use super::input::{agreement_id, count, economy_code, optional_full_date, require_known};
use super::paging::{PageToken, fingerprint};
use super::{Missing, QueryError};

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

/// An agreement as it stood on a date (or now), with its status then.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementView {
    pub agreement: Agreement,
    /// `None` before the agreement's first status-setting event.
    pub status: Option<StatusAt>,
    /// True when the date asked about is before the agreement's first
    /// dated event: it did not exist yet.
    pub not_yet_existing: bool,
    /// Each party's own standing on the date: the direct parties, then the
    /// members of its group parties.
    pub parties: Vec<PartyStanding>,
    /// The party a list was filtered on, whose standing a listing shows
    /// even when it is a party through a group.
    pub focus: Option<EconomyCode>,
    /// For an accession, the id of the agreement it joins.
    pub accession_to: Option<String>,
}

impl AgreementView {
    fn of(dataset: &Dataset, agreement: &Agreement, as_of: Option<PartialDate>) -> Self {
        let status = agreement.status(as_of);
        let not_yet_existing = status.is_none()
            && as_of.is_some_and(|day| {
                agreement
                    .first_dated()
                    .is_some_and(|first| !first.is_certainly_on_or_before(day))
            });
        let parties = agreement.party_standings(as_of, memberships);
        let accession_to = agreement
            .wto
            .as_ref()
            .and_then(|wto| wto.accession_to)
            .and_then(|rta_id| by_rta_id(dataset, rta_id))
            .map(|joined| joined.id.clone());
        let agreement = match as_of {
            Some(day) => agreement.as_of(day),
            None => agreement.clone(),
        };
        Self {
            agreement,
            status,
            not_yet_existing,
            parties,
            focus: None,
            accession_to,
        }
    }

    /// The standing of `party` in this agreement, if it was a party on the
    /// date (directly, or through a group it belonged to or had left).
    fn standing_of(&self, party: &EconomyCode) -> Option<&PartyStanding> {
        self.parties
            .iter()
            .find(|standing| &standing.party == party)
    }
}

/// A group's membership periods from the economy registry; none for an
/// economy.
fn memberships(code: &EconomyCode) -> &'static [Membership] {
    registry()
        .group(code)
        .map_or(&[], |group| group.members.as_slice())
}

/// The agreement that carries an RTA-IS id.
fn by_rta_id(dataset: &Dataset, rta_id: u32) -> Option<&Agreement> {
    dataset
        .agreements
        .values()
        .find(|agreement| agreement.wto_rta_id() == Some(rta_id))
}

#[derive(Debug, Clone, Default)]
pub struct GetAgreement {
    pub id: String,
    /// `(year, month, day)`, all zero or absent = now.
    pub as_of: Option<(i32, i32, i32)>,
}

pub fn get_agreement(
    dataset: &Dataset,
    request: &GetAgreement,
) -> Result<AgreementView, QueryError> {
    let as_of = optional_full_date("as_of", request.as_of)?;
    let agreement = match wto_rta_id(&request.id)? {
        Some(rta_id) => by_rta_id(dataset, rta_id).ok_or_else(|| {
            QueryError::not_found(
                Missing::Agreement,
                request.id.trim(),
                format!("no agreement with WTO RTA-IS id {rta_id}"),
            )
        })?,
        None => find(dataset, &agreement_id("id", &request.id)?)?,
    };
    Ok(AgreementView::of(dataset, agreement, as_of))
}

/// The RTA-IS id of an id written "wto:1091"; `None` for any other id.
fn wto_rta_id(raw: &str) -> Result<Option<u32>, QueryError> {
    let raw = raw.trim();
    let Some(number) = raw
        .get(..4)
        .filter(|prefix| prefix.eq_ignore_ascii_case("wto:"))
        .map(|_| &raw[4..])
    else {
        return Ok(None);
    };
    match number.trim().parse::<u32>() {
        Ok(rta_id) if rta_id > 0 => Ok(Some(rta_id)),
        _ => Err(QueryError::invalid(
            "id",
            "a WTO id is 'wto:' and the RTA-IS number, e.g. 'wto:1091'",
        )),
    }
}

#[derive(Debug, Clone, Default)]
pub struct ListAgreements {
    /// Empty = any party.
    pub party: String,
    pub status: Option<AgreementStatus>,
    pub as_of: Option<(i32, i32, i32)>,
    pub page_size: i32,
    pub page_token: String,
    /// Words that must each match the name, id, designation or a party.
    pub query: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgreementPage {
    pub agreements: Vec<AgreementView>,
    /// Agreements matching the filters, over every page.
    pub total: usize,
    /// `None` on the last page.
    pub next_page_token: Option<String>,
}

/// Agreements in id order. A party matches directly or through a group it
/// belongs to (Cambodia matches Korea–ASEAN). With `as_of`, agreements that
/// had no status yet on that date are left out.
pub fn list_agreements(
    dataset: &Dataset,
    request: &ListAgreements,
) -> Result<AgreementPage, QueryError> {
    let party = match request.party.trim() {
        "" => None,
        raw => Some(economy_code("party", raw)?),
    };
    let as_of = optional_full_date("as_of", request.as_of)?;
    let page_size = count(
        "page_size",
        request.page_size,
        DEFAULT_PAGE_SIZE,
        MAX_PAGE_SIZE,
    )?;
    let words = search_words(&request.query)?;
    let filters = fingerprint(&[
        party.as_ref().map_or("", |p| p.as_str()),
        &format!("{:?}", request.status),
        &as_of.map(|d| d.to_string()).unwrap_or_default(),
        &words.join(" "),
    ]);
    let token = PageToken::decode(&request.page_token, filters)?;
    require_known(dataset, "party", &party)?;

    let start = token.as_ref().map(|t| t.after.as_str());
    let matching: Vec<AgreementView> = dataset
        .agreements
        .values()
        .filter(|agreement| {
            party
                .as_ref()
                .is_none_or(|code| agreement.has_party(code, |group| members_ever(group)))
        })
        .filter(|agreement| words.iter().all(|word| matches_word(agreement, word)))
        .map(|agreement| AgreementView::of(dataset, agreement, as_of))
        .filter_map(|view| focus_on(view, party.as_ref()))
        .filter(|view| as_of.is_none() || status_in_view(view).is_some())
        .filter(|view| {
            request
                .status
                .is_none_or(|wanted| status_in_view(view).is_some_and(|s| s.status == wanted))
        })
        .collect();
    let total = matching.len();
    let mut rest = matching
        .into_iter()
        .filter(|view| start.is_none_or(|after| view.agreement.id.as_str() > after));
    let agreements: Vec<AgreementView> = rest.by_ref().take(page_size).collect();
    let next_page_token = match (rest.next(), agreements.last()) {
        (Some(_), Some(last)) => Some(
            PageToken {
                filters,
                after: last.agreement.id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    Ok(AgreementPage {
        agreements,
        total,
        next_page_token,
    })
}

/// Every economy that ever belonged to a group, for a first cut by party
/// (its standing on the date decides).
fn members_ever(group: &EconomyCode) -> &'static [EconomyCode] {
    static MEMBERS: std::sync::OnceLock<std::collections::HashMap<EconomyCode, Vec<EconomyCode>>> =
        std::sync::OnceLock::new();
    MEMBERS
        .get_or_init(|| {
            registry()
                .groups()
                .iter()
                .map(|g| {
                    let mut codes: Vec<EconomyCode> =
                        g.members.iter().map(|m| m.economy.clone()).collect();
                    codes.dedup();
                    (g.code.clone(), codes)
                })
                .collect()
        })
        .get(group)
        .map_or(&[], Vec::as_slice)
}

/// With a party filter, keeps an agreement only if the party was one on
/// the date (directly or through a group), and marks the party as the one
/// its listing shows.
fn focus_on(mut view: AgreementView, party: Option<&EconomyCode>) -> Option<AgreementView> {
    let Some(party) = party else {
        return Some(view);
    };
    view.standing_of(party)?;
    view.focus = Some(party.clone());
    Some(view)
}

/// The status a list filters on: the focused party's own, else the
/// agreement's.
fn status_in_view(view: &AgreementView) -> Option<StatusAt> {
    match &view.focus {
        Some(party) => view.standing_of(party).and_then(|s| s.status),
        None => view.status,
    }
}

/// The words of a text query, normalised (case, accents and punctuation
/// ignored); none for an empty query.
fn search_words(query: &str) -> Result<Vec<String>, QueryError> {
    if query.len() > 256 {
        return Err(QueryError::invalid("query", "is longer than 256 bytes"));
    }
    let words: Vec<String> = query
        .split(|c: char| c.is_whitespace() || c == ',' || c == '/')
        .map(normalise)
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() && !query.trim().is_empty() {
        return Err(QueryError::invalid(
            "query",
            "has no letter or digit to search for",
        ));
    }
    Ok(words)
}

/// A query word matches an agreement when it appears in its name, id or
/// designation, or names one of its own parties ("cambodia" → KHM).
fn matches_word(agreement: &Agreement, word: &str) -> bool {
    normalise(&agreement.name).contains(word)
        || normalise(&agreement.id).contains(word)
        || normalise(&agreement.kind) == word
        || registry()
            .resolve(word)
            .is_some_and(|code| agreement.parties.contains(code))
}

/// Asks for one page of an agreement's rounds.
#[derive(Debug, Clone, Default)]
pub struct ListRounds {
    pub agreement_id: String,
    pub page_size: i32,
    pub page_token: String,
}

/// One page of rounds.
#[derive(Debug, Clone)]
pub struct RoundsPage {
    pub rounds: Vec<AgreementEvent>,
    /// Rounds over every page.
    pub total: usize,
    /// `None` on the last page.
    pub next_page_token: Option<String>,
}

/// The official rounds of an agreement, in order, a page at a time. A
/// token resumes by position: an agreement's rounds only grow at the end.
pub fn negotiation_rounds(
    dataset: &Dataset,
    request: &ListRounds,
) -> Result<RoundsPage, QueryError> {
    let id = agreement_id("agreement_id", &request.agreement_id)?;
    let page_size = count(
        "page_size",
        request.page_size,
        DEFAULT_PAGE_SIZE,
        MAX_PAGE_SIZE,
    )?;
    let filters = fingerprint(&["rounds", &id]);
    let offset = PageToken::position(&request.page_token, filters)?;
    let agreement = find(dataset, &id)?;
    let mut rounds: Vec<AgreementEvent> = agreement.rounds().cloned().collect();
    // Dated rounds are already in date order; undated ones go by number.
    rounds.sort_by_key(|round| (round.round_number, round.start));
    let total = rounds.len();
    let next = offset + page_size;
    Ok(RoundsPage {
        rounds: rounds.into_iter().skip(offset).take(page_size).collect(),
        total,
        next_page_token: (next < total).then(|| PageToken::at_position(filters, next)),
    })
}

/// "; did you mean kor-khm (Korea–Cambodia …)?": the agreements between the
/// economies the id's words name ("korea-cambodia"), else the ids a few
/// edits away; "" when there are none.
fn agreement_suggestions(dataset: &Dataset, id: &str) -> String {
    let named: Vec<EconomyCode> = id
        .split('-')
        .filter_map(|word| registry().resolve(word).cloned())
        .collect();
    let mut found: Vec<&str> = Vec::new();
    if named.len() >= 2 {
        let mut between: Vec<&Agreement> = dataset
            .agreements
            .values()
            .filter(|agreement| {
                named
                    .iter()
                    .all(|code| agreement.has_party(code, |group| dataset.members_of(group)))
            })
            .collect();
        // Agreements the economies are parties to themselves come before
        // those they belong to through a group (Korea–Cambodia before
        // Korea–ASEAN).
        between.sort_by_key(|agreement| {
            let direct = named
                .iter()
                .filter(|code| agreement.parties.contains(code))
                .count();
            std::cmp::Reverse(direct)
        });
        found = between
            .into_iter()
            .map(|agreement| agreement.id.as_str())
            .take(3)
            .collect();
    }
    if found.is_empty() {
        found = similar::closest(
            id,
            dataset
                .agreements
                .keys()
                .map(|key| (key.as_str(), key.as_str())),
            3,
        );
    }
    if found.is_empty() {
        return String::new();
    }
    let described: Vec<String> = found
        .iter()
        .map(|id| match dataset.agreements.get(*id) {
            Some(agreement) => format!("{id} ({})", agreement.name),
            None => (*id).to_owned(),
        })
        .collect();
    format!("; did you mean {}?", described.join(", "))
}

fn find<'a>(dataset: &'a Dataset, id: &str) -> Result<&'a Agreement, QueryError> {
    dataset.agreements.get(id).ok_or_else(|| {
        QueryError::not_found(
            Missing::Agreement,
            id,
            format!(
                "no agreement with id '{id}'{}",
                agreement_suggestions(dataset, id)
            ),
        )
    })
}
