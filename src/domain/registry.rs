//! The economy registry: every ISO 3166-1 economy (and the former ones of
//! ISO 3166-3), the names and codes the sources use for each, and the groups
//! that are parties to agreements with their membership periods.
//!
//! It is compiled in from `data/economies.toml`, which
//! `data/economies/generate.py` writes from ISO 3166 (pycountry), a hand-kept
//! overlay and the recorded upstream files (data/FORMAT.md), and is parsed
//! once, on first use. It answers which economy a request means — by
//! alpha-3, alpha-2 or numeric code, by name or alias, in any case and
//! ignoring accents, punctuation and spaces — and who belonged to a group on
//! a date. Whether the dataset holds anything about that economy is the
//! dataset's question ([`super::Dataset::is_known_economy`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{EconomyCode, PartialDate};

/// The registry file, compiled in.
pub const REGISTRY_TOML: &str = include_str!("../../data/economies.toml");

/// Input longer than this is no name or code of ours; it is not normalised.
const MAX_INPUT_BYTES: usize = 256;

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    // The file is compiled in and its tests parse it, so this cannot fail in
    // a build whose tests passed.
    Registry::parse(REGISTRY_TOML).unwrap_or_else(|e| panic!("data/economies.toml: {e}"))
});

/// The compiled-in registry, parsed on first use.
pub fn registry() -> &'static Registry {
    &REGISTRY
}

/// The key a name or code is looked up by: compatibility decomposition,
/// combining marks dropped, lower case, `&` read as `and`, letters and digits
/// only; a number loses its leading zeros. `generate.py` computes the same
/// key to keep the file unambiguous.
///
/// `" Türkiye "`, `"TURKIYE"` and `"turkiye"` give `turkiye`; `"Korea, Rep. of"`
/// gives `korearepof`; `"004"` gives `4`.
pub fn normalise(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for ch in text.nfkd() {
        if ch == '&' {
            key.push_str("and");
        } else if ch.is_alphanumeric() && !is_combining_mark(ch) {
            key.extend(ch.to_lowercase());
        }
    }
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = key.trim_start_matches('0');
        return if trimmed.is_empty() {
            "0".to_owned()
        } else {
            trimmed.to_owned()
        };
    }
    key
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Toml(String),
    #[error("format {0} is not supported; expected 1")]
    Format(u32),
    #[error("{what} '{value}' is not an economy code")]
    Code { what: &'static str, value: String },
    #[error("{code}: {field} '{value}' is not a date")]
    Date {
        code: String,
        field: &'static str,
        value: String,
    },
    #[error("{code} is declared twice")]
    Duplicate { code: String },
    #[error("{code}: source '{source_key}' is not declared")]
    UnknownSource { code: String, source_key: String },
    #[error("group {group}: member {member} is not a current economy")]
    UnknownMember { group: String, member: String },
    #[error("group {group}: {member} leaves before it joins")]
    Backwards { group: String, member: String },
    #[error("'{text}' would mean both {first} and {second}")]
    Ambiguous {
        text: String,
        first: String,
        second: String,
    },
}

/// Where an economy's entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EconomyKind {
    /// ISO 3166-1, in use today.
    Iso,
    /// Not in ISO 3166-1 but a party to agreements (Kosovo, `XKX`).
    Other,
    /// Withdrawn from ISO 3166-1 (ISO 3166-3), e.g. the Netherlands Antilles.
    Former,
}

/// A name and the sources that use it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EconomyName {
    pub name: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A code other than ISO 3166-1 that a source uses (UN Comtrade's 842 for
/// the United States, the IMF's G998 for the EU).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeAlias {
    pub code: String,
    pub sources: Vec<String>,
}

/// A source cited by names, codes and memberships.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySource {
    pub key: String,
    pub title: String,
    pub publisher: String,
    #[serde(default)]
    pub url: Option<String>,
    /// When the recorded copy was taken, where the source is a download.
    #[serde(default)]
    pub retrieved: Option<String>,
}

/// One economy of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredEconomy {
    /// ISO 3166-1 alpha-3 (`KOR`); what every answer uses.
    pub code: EconomyCode,
    pub kind: EconomyKind,
    /// ISO 3166-1 alpha-2 (`KR`).
    pub iso2: Option<String>,
    /// ISO 3166-1 numeric (410).
    pub numeric: Option<u16>,
    /// ISO English short name (`Korea, Republic of`).
    pub name: String,
    pub official_name: Option<String>,
    /// When ISO withdrew a former economy's code.
    pub withdrawn: Option<PartialDate>,
    pub note: Option<String>,
    pub sources: Vec<String>,
    /// Every name it answers to, each with its sources.
    pub names: Vec<EconomyName>,
    pub codes: Vec<CodeAlias>,
}

/// A period during which an economy belonged to a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub economy: EconomyCode,
    /// First day as a member (or the month or year, when the day is not known).
    pub from: PartialDate,
    /// Last day as a member, for agreement purposes; `None` while it lasts.
    pub to: Option<PartialDate>,
    pub note: Option<String>,
    /// The sources of this period; empty when they are the group's.
    pub sources: Vec<String>,
}

impl Membership {
    /// True when the economy was certainly a member on `date`: its joining
    /// date has wholly passed and its leaving date has not begun.
    pub fn is_member_on(&self, date: PartialDate) -> bool {
        self.from.is_certainly_on_or_before(date)
            && self.to.is_none_or(|to| date.latest() <= to.earliest())
    }
}

/// A group of economies that is a party to agreements (the EU, ASEAN...).
#[derive(Debug, Clone, PartialEq)]
pub struct EconomyGroup {
    /// `EU`, `ASEAN`, `ANDEAN`...
    pub code: EconomyCode,
    pub name: String,
    pub note: String,
    pub sources: Vec<String>,
    pub names: Vec<EconomyName>,
    pub codes: Vec<CodeAlias>,
    /// Every membership period, in the order of the file.
    pub members: Vec<Membership>,
}

impl EconomyGroup {
    /// The members on `date`, in the order of the file.
    pub fn members_on(&self, date: PartialDate) -> impl Iterator<Item = &EconomyCode> {
        self.members
            .iter()
            .filter(move |m| m.is_member_on(date))
            .map(|m| &m.economy)
    }

    /// True when `economy` was a member on `date`.
    pub fn has_member_on(&self, economy: &EconomyCode, date: PartialDate) -> bool {
        self.members
            .iter()
            .any(|m| &m.economy == economy && m.is_member_on(date))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Economy(usize),
    Group(usize),
}

/// The parsed registry with its lookup index.
#[derive(Debug)]
pub struct Registry {
    pycountry: String,
    sources: Vec<RegistrySource>,
    economies: Vec<RegisteredEconomy>,
    groups: Vec<EconomyGroup>,
    by_code: HashMap<EconomyCode, Entry>,
    /// Normalised name or code → the code it stands for.
    by_key: HashMap<String, EconomyCode>,
}

impl Registry {
    /// Parses and checks a registry file: every code and date well formed,
    /// every source declared, every member an economy of the registry, and no
    /// name or code standing for two economies.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        let file: file::RegistryFile =
            toml::from_str(text).map_err(|e| RegistryError::Toml(e.to_string()))?;
        if file.format != 1 {
            return Err(RegistryError::Format(file.format));
        }
        let mut registry = Self {
            pycountry: file.pycountry,
            sources: file.sources,
            economies: Vec::with_capacity(file.economies.len()),
            groups: Vec::with_capacity(file.groups.len()),
            by_code: HashMap::new(),
            by_key: HashMap::new(),
        };
        for row in file.economies {
            let economy = row.check()?;
            registry.insert_code(&economy.code, Entry::Economy(registry.economies.len()))?;
            registry.economies.push(economy);
        }
        for row in file.groups {
            let group = row.check()?;
            registry.insert_code(&group.code, Entry::Group(registry.groups.len()))?;
            registry.groups.push(group);
        }
        registry.check_references()?;
        registry.build_index()?;
        Ok(registry)
    }

    fn insert_code(&mut self, code: &EconomyCode, entry: Entry) -> Result<(), RegistryError> {
        match self.by_code.insert(code.clone(), entry) {
            Some(_) => Err(RegistryError::Duplicate {
                code: code.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn check_references(&self) -> Result<(), RegistryError> {
        let declared = |code: &str, key: &str| {
            if self.sources.iter().any(|s| s.key == key) {
                Ok(())
            } else {
                Err(RegistryError::UnknownSource {
                    code: code.to_owned(),
                    source_key: key.to_owned(),
                })
            }
        };
        for economy in &self.economies {
            let code = economy.code.as_str();
            for key in cited(&economy.sources, &economy.names, &economy.codes) {
                declared(code, key)?;
            }
        }
        for group in &self.groups {
            let code = group.code.as_str();
            for key in cited(&group.sources, &group.names, &group.codes) {
                declared(code, key)?;
            }
            for member in &group.members {
                for key in &member.sources {
                    declared(code, key)?;
                }
                let current = self
                    .economy(&member.economy)
                    .is_some_and(|e| e.kind != EconomyKind::Former);
                if !current {
                    return Err(RegistryError::UnknownMember {
                        group: code.to_owned(),
                        member: member.economy.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Codes first, then alpha-2 and numeric codes, then the sources' codes,
    /// then names; any text that would stand for two entries is an error.
    fn build_index(&mut self) -> Result<(), RegistryError> {
        let mut keys: Vec<(String, EconomyCode)> = Vec::new();
        for economy in &self.economies {
            let code = &economy.code;
            keys.push((code.to_string(), code.clone()));
            keys.extend(economy.iso2.iter().map(|c| (c.clone(), code.clone())));
            keys.extend(economy.numeric.map(|n| (n.to_string(), code.clone())));
            keys.extend(economy.codes.iter().map(|c| (c.code.clone(), code.clone())));
            keys.extend(economy.names.iter().map(|n| (n.name.clone(), code.clone())));
        }
        for group in &self.groups {
            let code = &group.code;
            keys.push((code.to_string(), code.clone()));
            keys.extend(group.codes.iter().map(|c| (c.code.clone(), code.clone())));
            keys.extend(group.names.iter().map(|n| (n.name.clone(), code.clone())));
        }
        for (text, code) in keys {
            let key = normalise(&text);
            match self.by_key.get(&key) {
                Some(held) if held != &code => {
                    return Err(RegistryError::Ambiguous {
                        text,
                        first: held.to_string(),
                        second: code.to_string(),
                    });
                }
                Some(_) => {}
                None => {
                    self.by_key.insert(key, code);
                }
            }
        }
        Ok(())
    }

    /// The economy or group `text` stands for: an alpha-3, alpha-2 or
    /// numeric code, a group code, a code a source uses, or any name or
    /// alias, in any case and ignoring accents, punctuation and spaces.
    pub fn resolve(&self, text: &str) -> Option<&EconomyCode> {
        if text.len() > MAX_INPUT_BYTES {
            return None;
        }
        let key = normalise(text);
        if key.is_empty() {
            return None;
        }
        self.by_key.get(&key)
    }

    /// Up to `limit` economies or groups whose codes, names or aliases are
    /// a few edits from `text` (for "did you mean"), closest first.
    pub fn closest(&self, text: &str, limit: usize) -> Vec<&EconomyCode> {
        let key = normalise(text);
        if key.is_empty() || text.len() > MAX_INPUT_BYTES {
            return Vec::new();
        }
        super::similar::closest(
            &key,
            self.by_key.iter().map(|(key, code)| (key.as_str(), code)),
            limit,
        )
    }

    /// The name a person knows `code` by ("Cambodia", "European Union").
    pub fn display_name(&self, code: &EconomyCode) -> Option<&str> {
        match self.by_code.get(code)? {
            Entry::Economy(i) => self.economies.get(*i).map(|e| e.name.as_str()),
            Entry::Group(i) => self.groups.get(*i).map(|g| g.name.as_str()),
        }
    }

    /// The economy with this code (alpha-3 or, for others, its own code).
    pub fn economy(&self, code: &EconomyCode) -> Option<&RegisteredEconomy> {
        match self.by_code.get(code)? {
            Entry::Economy(i) => self.economies.get(*i),
            Entry::Group(_) => None,
        }
    }

    /// The group with this code (`EU`, `ASEAN`...).
    pub fn group(&self, code: &EconomyCode) -> Option<&EconomyGroup> {
        match self.by_code.get(code)? {
            Entry::Group(i) => self.groups.get(*i),
            Entry::Economy(_) => None,
        }
    }

    /// Every economy: ISO 3166-1 first, then others, then former ones.
    pub fn economies(&self) -> &[RegisteredEconomy] {
        &self.economies
    }

    pub fn groups(&self) -> &[EconomyGroup] {
        &self.groups
    }

    /// The members of `group` on `date`; `None` when `group` is no group.
    pub fn members_on(&self, group: &EconomyCode, date: PartialDate) -> Option<Vec<&EconomyCode>> {
        self.group(group).map(|g| g.members_on(date).collect())
    }

    /// The groups `economy` belonged to on `date`.
    pub fn groups_of(
        &self,
        economy: &EconomyCode,
        date: PartialDate,
    ) -> impl Iterator<Item = &EconomyGroup> {
        self.groups
            .iter()
            .filter(move |g| g.has_member_on(economy, date))
    }

    /// The pycountry release (ISO 3166 data) the file was generated from.
    pub fn pycountry_version(&self) -> &str {
        &self.pycountry
    }

    /// Every source the registry cites.
    pub fn sources(&self) -> &[RegistrySource] {
        &self.sources
    }

    pub fn source(&self, key: &str) -> Option<&RegistrySource> {
        self.sources.iter().find(|s| s.key == key)
    }
}

fn cited<'a>(
    sources: &'a [String],
    names: &'a [EconomyName],
    codes: &'a [CodeAlias],
) -> impl Iterator<Item = &'a String> {
    sources
        .iter()
        .chain(names.iter().flat_map(|n| &n.sources))
        .chain(codes.iter().flat_map(|c| &c.sources))
}

/// The serde shape of `data/economies.toml`.
mod file {
    use serde::Deserialize;

    use super::{
        CodeAlias, EconomyGroup, EconomyKind, EconomyName, Membership, RegisteredEconomy,
        RegistryError, RegistrySource,
    };
    use crate::domain::{EconomyCode, PartialDate};

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct RegistryFile {
        pub format: u32,
        /// The pycountry release the file was generated from.
        pub pycountry: String,
        pub sources: Vec<RegistrySource>,
        pub economies: Vec<EconomyRow>,
        pub groups: Vec<GroupRow>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct EconomyRow {
        code: String,
        kind: EconomyKind,
        iso2: Option<String>,
        numeric: Option<String>,
        name: String,
        official_name: Option<String>,
        withdrawn: Option<String>,
        note: Option<String>,
        sources: Vec<String>,
        names: Vec<EconomyName>,
        #[serde(default)]
        codes: Vec<CodeAlias>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct GroupRow {
        code: String,
        name: String,
        note: String,
        sources: Vec<String>,
        names: Vec<EconomyName>,
        #[serde(default)]
        codes: Vec<CodeAlias>,
        members: Vec<MemberRow>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct MemberRow {
        code: String,
        from: String,
        to: Option<String>,
        note: Option<String>,
        #[serde(default)]
        sources: Vec<String>,
    }

    fn code(what: &'static str, value: &str) -> Result<EconomyCode, RegistryError> {
        match EconomyCode::parse(value) {
            Ok(code) if code.as_str() == value => Ok(code),
            _ => Err(RegistryError::Code {
                what,
                value: value.to_owned(),
            }),
        }
    }

    fn date(code: &str, field: &'static str, value: &str) -> Result<PartialDate, RegistryError> {
        PartialDate::parse(value).map_err(|_| RegistryError::Date {
            code: code.to_owned(),
            field,
            value: value.to_owned(),
        })
    }

    impl EconomyRow {
        pub(super) fn check(self) -> Result<RegisteredEconomy, RegistryError> {
            let code = code("economy code", &self.code)?;
            let numeric = match &self.numeric {
                Some(n) => Some(n.parse::<u16>().map_err(|_| RegistryError::Code {
                    what: "numeric code",
                    value: n.clone(),
                })?),
                None => None,
            };
            let withdrawn = match &self.withdrawn {
                Some(d) => Some(date(&self.code, "withdrawn", d)?),
                None => None,
            };
            Ok(RegisteredEconomy {
                code,
                kind: self.kind,
                iso2: self.iso2,
                numeric,
                name: self.name,
                official_name: self.official_name,
                withdrawn,
                note: self.note,
                sources: self.sources,
                names: self.names,
                codes: self.codes,
            })
        }
    }

    impl GroupRow {
        pub(super) fn check(self) -> Result<EconomyGroup, RegistryError> {
            let group = code("group code", &self.code)?;
            let mut members = Vec::with_capacity(self.members.len());
            for row in self.members {
                let from = date(&self.code, "from", &row.from)?;
                let to = match &row.to {
                    Some(d) => Some(date(&self.code, "to", d)?),
                    None => None,
                };
                if to.is_some_and(|to| to.latest() < from.earliest()) {
                    return Err(RegistryError::Backwards {
                        group: self.code.clone(),
                        member: row.code,
                    });
                }
                members.push(Membership {
                    economy: code("member code", &row.code)?,
                    from,
                    to,
                    note: row.note,
                    sources: row.sources,
                });
            }
            Ok(EconomyGroup {
                code: group,
                name: self.name,
                note: self.note,
                sources: self.sources,
                names: self.names,
                codes: self.codes,
                members,
            })
        }
    }
}

#[cfg(test)]
mod tests;
