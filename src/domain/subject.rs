//! What a recorded change is about. The store keeps a subject as one line of
//! text (`Display`); the API hands it out typed (`parse`). Both directions
//! live here so the format has one owner.

use std::fmt;

/// The thing a change changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSubject {
    /// An agreement's status.
    Agreement { id: String },
    /// One indicator value of one vintage.
    Indicator {
        indicator: String,
        economy: String,
        vintage: String,
    },
    /// A reporter's trade with one partner in one flow (ranking input).
    PartnerFlow {
        reporter: String,
        partner: String,
        flow: String,
    },
    /// One product line.
    ProductFlow {
        reporter: String,
        partner: String,
        flow: String,
        hs_code: String,
    },
    /// A whole level of product lines, summarised.
    ProductLines {
        reporter: String,
        partner: String,
        flow: String,
        digits: u8,
        counts: LineCounts,
    },
    /// One figure of a bilateral year, kept per source family.
    Trade {
        reporter: String,
        partner: String,
        family: String,
        field: String,
    },
}

/// How a level of product lines changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineCounts {
    pub added: u64,
    pub revised: u64,
    pub removed: u64,
    /// Lines held after the change.
    pub lines: u64,
}

impl fmt::Display for ChangeSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Agreement { id } => write!(f, "agreement {id}"),
            Self::Indicator {
                indicator,
                economy,
                vintage,
            } => write!(f, "indicator {indicator} {economy} vintage {vintage}"),
            Self::PartnerFlow {
                reporter,
                partner,
                flow,
            } => write!(f, "partner_flow {reporter}→{partner} {flow}"),
            Self::ProductFlow {
                reporter,
                partner,
                flow,
                hs_code,
            } => write!(f, "product_flow {reporter}→{partner} {flow} HS{hs_code}"),
            Self::ProductLines {
                reporter,
                partner,
                flow,
                digits,
                counts,
            } => write!(
                f,
                "product_flows {reporter}→{partner} {flow} HS{digits} ({} new, {} revised, {} removed of {} lines)",
                counts.added, counts.revised, counts.removed, counts.lines
            ),
            Self::Trade {
                reporter,
                partner,
                family,
                field,
            } => write!(f, "trade {reporter}→{partner} {family} {field}"),
        }
    }
}

impl ChangeSubject {
    /// The subject a stored line names; `None` for a line this version does
    /// not write.
    pub fn parse(text: &str) -> Option<Self> {
        let (tag, rest) = text.split_once(' ')?;
        let words: Vec<&str> = rest.split(' ').collect();
        let pair = |word: &str| {
            word.split_once('→')
                .map(|(reporter, partner)| (reporter.to_owned(), partner.to_owned()))
        };
        let owned = |word: &&str| (*word).to_owned();
        match (tag, words.as_slice()) {
            ("agreement", [id]) => Some(Self::Agreement { id: owned(id) }),
            ("indicator", [indicator, economy, "vintage", vintage]) => Some(Self::Indicator {
                indicator: owned(indicator),
                economy: owned(economy),
                vintage: owned(vintage),
            }),
            ("partner_flow", [pair_word, flow]) => {
                let (reporter, partner) = pair(pair_word)?;
                Some(Self::PartnerFlow {
                    reporter,
                    partner,
                    flow: owned(flow),
                })
            }
            ("product_flow", [pair_word, flow, hs]) => {
                let (reporter, partner) = pair(pair_word)?;
                Some(Self::ProductFlow {
                    reporter,
                    partner,
                    flow: owned(flow),
                    hs_code: hs.strip_prefix("HS")?.to_owned(),
                })
            }
            (
                "product_flows",
                [
                    pair_word,
                    flow,
                    hs,
                    added,
                    "new,",
                    revised,
                    "revised,",
                    removed,
                    "removed",
                    "of",
                    lines,
                    "lines)",
                ],
            ) => {
                let (reporter, partner) = pair(pair_word)?;
                Some(Self::ProductLines {
                    reporter,
                    partner,
                    flow: owned(flow),
                    digits: hs.strip_prefix("HS")?.parse().ok()?,
                    counts: LineCounts {
                        added: added.strip_prefix('(')?.parse().ok()?,
                        revised: revised.parse().ok()?,
                        removed: removed.parse().ok()?,
                        lines: lines.parse().ok()?,
                    },
                })
            }
            ("trade", [pair_word, family, field]) => {
                let (reporter, partner) = pair(pair_word)?;
                Some(Self::Trade {
                    reporter,
                    partner,
                    family: owned(family),
                    field: owned(field),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn every_subject_reads_back_as_written() {
        let subjects = [
            ChangeSubject::Agreement { id: s("kor-khm") },
            ChangeSubject::Indicator {
                indicator: s("NY.GDP.MKTP.KD.ZG"),
                economy: s("KHM"),
                vintage: s("2024-06-28"),
            },
            ChangeSubject::PartnerFlow {
                reporter: s("KOR"),
                partner: s("KHM"),
                flow: s("export"),
            },
            ChangeSubject::ProductFlow {
                reporter: s("KOR"),
                partner: s("KHM"),
                flow: s("import"),
                hs_code: s("8542"),
            },
            ChangeSubject::Trade {
                reporter: s("KOR"),
                partner: s("KHM"),
                family: s("customs"),
                field: s("exports_usd"),
            },
            ChangeSubject::ProductLines {
                reporter: s("KOR"),
                partner: s("KHM"),
                flow: s("export"),
                digits: 6,
                counts: LineCounts {
                    added: 3,
                    revised: 2,
                    removed: 0,
                    lines: 435,
                },
            },
        ];
        for subject in subjects {
            let text = subject.to_string();
            assert_eq!(ChangeSubject::parse(&text), Some(subject), "{text}");
        }
    }

    #[test]
    fn lines_of_another_shape_are_not_subjects() {
        for text in [
            "",
            "agreement",
            "indicator X KHM 2024",
            "trade KOR-KHM a b",
            "other x",
        ] {
            assert_eq!(ChangeSubject::parse(text), None, "{text}");
        }
    }
}
