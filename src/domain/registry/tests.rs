use std::collections::BTreeSet;

use super::*;

fn code(text: &str) -> EconomyCode {
    EconomyCode::parse(text).expect("valid code")
}

fn day(text: &str) -> PartialDate {
    PartialDate::parse(text).expect("valid date")
}

fn resolved(text: &str) -> Option<&'static str> {
    registry().resolve(text).map(|c| c.as_str())
}

fn members(group: &str, date: &str) -> BTreeSet<&'static str> {
    registry()
        .members_on(&code(group), day(date))
        .expect("a group")
        .into_iter()
        .map(|c| c.as_str())
        .collect()
}

#[test]
fn the_compiled_file_parses_and_passes_its_checks() {
    let parsed = Registry::parse(REGISTRY_TOML);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
    assert!(!registry().pycountry_version().is_empty());
}

#[test]
fn holds_every_iso_economy_and_the_groups() {
    let iso = registry()
        .economies()
        .iter()
        .filter(|e| e.kind == EconomyKind::Iso)
        .count();
    assert!(iso >= 240, "{iso} ISO 3166-1 economies");
    let groups: BTreeSet<&str> = registry()
        .groups()
        .iter()
        .map(|g| g.code.as_str())
        .collect();
    let expected = [
        "ANDEAN", "ASEAN", "CACM", "CARICOM", "EAEU", "EFTA", "EU", "GCC", "MERCOSUR", "SACU",
    ];
    assert_eq!(groups, expected.into_iter().collect());
}

#[test]
fn korea_by_every_code_and_name() {
    for text in [
        "KOR",
        "kor",
        "KR",
        "kr",
        "410",
        "Korea, Republic of",
        "South Korea",
        "korea",
        "  south   KOREA ",
        "Republic of Korea",
        "Rep. of Korea",
        "korea-republic-of",
    ] {
        assert_eq!(resolved(text), Some("KOR"), "{text:?}");
    }
    assert_eq!(resolved("North Korea"), Some("PRK"));
    assert_eq!(resolved("KP"), Some("PRK"));
}

#[test]
fn turkiye_and_viet_nam_under_their_old_and_new_names() {
    for text in [
        "Türkiye", "Turkey", "turkiye", "TÜRKIYE", "TUR", "tr", "792",
    ] {
        assert_eq!(resolved(text), Some("TUR"), "{text:?}");
    }
    for text in ["Viet Nam", "Vietnam", "viet-nam", "VN", "704"] {
        assert_eq!(resolved(text), Some("VNM"), "{text:?}");
    }
}

#[test]
fn other_sources_spellings_and_codes() {
    let cases = [
        ("USA", "USA"),
        ("US", "USA"),
        ("United States of America", "USA"),
        ("840", "USA"),
        ("842", "USA"), // UN Comtrade's code
        ("UK", "GBR"),
        ("United Kingdom", "GBR"),
        ("GB", "GBR"),
        ("Chinese Taipei", "TWN"), // WTO
        ("Hong Kong, China", "HKG"),
        ("China, Hong Kong SAR", "HKG"), // Comtrade
        ("Côte d'Ivoire", "CIV"),
        ("cote divoire", "CIV"),
        ("Ivory Coast", "CIV"),
        ("004", "AFG"),
        ("4", "AFG"),
        ("Trinidad & Tobago", "TTO"),
        ("Kosovo", "XKX"),
        ("Netherlands Antilles", "ANT"),
        ("Cambodia", "KHM"),
        ("CAN", "CAN"), // Canada; the Andean Community is ANDEAN
    ];
    for (text, expected) in cases {
        assert_eq!(resolved(text), Some(expected), "{text:?}");
    }
}

#[test]
fn groups_by_code_and_name() {
    let cases = [
        ("EU", "EU"),
        ("eu", "EU"),
        ("European Union", "EU"),
        ("European Free Trade Association (EFTA)", "EFTA"),
        ("ASEAN", "ASEAN"),
        ("ASEAN Free Trade Area (AFTA)", "ASEAN"),
        ("Southern Common Market (MERCOSUR)", "MERCOSUR"),
        ("Andean Community", "ANDEAN"),
        ("Andean Community (CAN)", "ANDEAN"),
        ("Central American Common Market (CACM)", "CACM"),
        ("Gulf Cooperation Council", "GCC"),
    ];
    for (text, expected) in cases {
        assert_eq!(resolved(text), Some(expected), "{text:?}");
    }
}

#[test]
fn unknown_and_empty_text_resolves_to_nothing() {
    for text in [
        "",
        "   ",
        "...",
        "Atlantis",
        "K0R",
        "XYZ",
        "Korea, Republic of Atlantis",
    ] {
        assert_eq!(resolved(text), None, "{text:?}");
    }
    assert_eq!(resolved(&"Korea".repeat(100)), None);
}

#[test]
fn normalising_ignores_case_accents_punctuation_and_spaces() {
    assert_eq!(normalise(" Türkiye "), "turkiye");
    assert_eq!(normalise("Korea, Rep. of"), "korearepof");
    assert_eq!(
        normalise("Lao People's Democratic Republic"),
        "laopeoplesdemocraticrepublic"
    );
    assert_eq!(normalise("Trinidad & Tobago"), "trinidadandtobago");
    assert_eq!(normalise("São Tomé"), "saotome");
    assert_eq!(normalise("ＫＯＲ"), "kor"); // full-width letters
    assert_eq!(normalise("004"), "4");
    assert_eq!(normalise("000"), "0");
    assert_eq!(normalise("-.,"), "");
}

#[test]
fn every_iso_economy_answers_to_its_codes_and_names() {
    for economy in registry().economies() {
        let own = Some(economy.code.as_str());
        assert_eq!(resolved(economy.code.as_str()), own);
        if let Some(iso2) = &economy.iso2 {
            assert_eq!(resolved(iso2), own, "{iso2}");
        }
        if let Some(numeric) = economy.numeric {
            assert_eq!(resolved(&format!("{numeric:03}")), own, "{numeric}");
        }
        for name in &economy.names {
            assert_eq!(resolved(&name.name), own, "{}", name.name);
            assert!(!name.sources.is_empty(), "{} cites no source", name.name);
        }
    }
}

#[test]
fn the_eu_on_both_sides_of_the_united_kingdoms_exit() {
    let gbr = code("GBR");
    let eu = registry().group(&code("EU")).expect("EU");
    assert!(members("EU", "2019-06-01").contains("GBR"));
    // Withdrawn on 2020-01-31, but EU agreements applied to the UK through
    // the transition period.
    assert!(eu.has_member_on(&gbr, day("2020-06-01")));
    assert!(eu.has_member_on(&gbr, day("2020-12-31")));
    assert!(!eu.has_member_on(&gbr, day("2021-01-01")));
    assert!(!members("EU", "2021-06-01").contains("GBR"));
    assert_eq!(members("EU", "2021-06-01").len(), 27);
    assert_eq!(members("EU", "1958-01-01").len(), 6);
    assert!(members("EU", "1957-12-31").is_empty());
}

#[test]
fn croatia_joins_the_eu_on_2013_07_01() {
    assert!(!members("EU", "2013-06-30").contains("HRV"));
    assert!(members("EU", "2013-07-01").contains("HRV"));
    assert_eq!(members("EU", "2013-07-01").len(), 28);
}

#[test]
fn other_groups_on_dates() {
    assert_eq!(
        members("EFTA", "2026-01-01"),
        ["CHE", "ISL", "LIE", "NOR"].into_iter().collect()
    );
    assert!(members("EFTA", "1972-12-31").contains("GBR"));
    assert!(!members("EFTA", "1973-01-01").contains("GBR"));
    assert!(members("MERCOSUR", "2015-01-01").contains("VEN"));
    assert!(!members("MERCOSUR", "2017-01-01").contains("VEN"));
    assert_eq!(members("EAEU", "2015-01-01").len(), 3);
    assert_eq!(members("EAEU", "2015-08-12").len(), 5);
    assert!(!members("CACM", "2013-05-05").contains("PAN"));
    assert!(members("CACM", "2013-05-06").contains("PAN"));
    // Month precision: Chile left the Andean Pact in October 1976, so it
    // is certainly a member on the first of that month and not after.
    assert!(members("ANDEAN", "1976-10-01").contains("CHL"));
    assert!(!members("ANDEAN", "1976-10-02").contains("CHL"));
    // And it joined in October 1969: certain only once the month is over.
    assert!(!members("ANDEAN", "1969-10-15").contains("BOL"));
    assert!(members("ANDEAN", "1969-11-01").contains("BOL"));
    let groups: Vec<&str> = registry()
        .groups_of(&code("KHM"), day("2026-01-01"))
        .map(|g| g.code.as_str())
        .collect();
    assert_eq!(groups, ["ASEAN"]);
    assert_eq!(registry().members_on(&code("KOR"), day("2026-01-01")), None);
}

#[test]
fn every_membership_cites_a_declared_source() {
    for group in registry().groups() {
        assert!(!group.sources.is_empty(), "{}", group.code);
        for member in &group.members {
            let sources = if member.sources.is_empty() {
                &group.sources
            } else {
                &member.sources
            };
            for key in sources {
                assert!(registry().source(key).is_some(), "{}: {key}", group.code);
            }
        }
    }
}

/// The built-in dataset's economies and groups agree with the registry:
/// each of its codes is the registry's, and each group it declares has
/// today the members the registry gives it.
#[test]
fn agrees_with_the_built_in_dataset() {
    #[derive(serde::Deserialize)]
    struct Builtin {
        economies: Vec<BuiltinEconomy>,
        groups: Vec<BuiltinGroup>,
    }
    #[derive(serde::Deserialize)]
    struct BuiltinEconomy {
        code: String,
        iso2: String,
    }
    #[derive(serde::Deserialize)]
    struct BuiltinGroup {
        code: String,
        members: Vec<String>,
    }
    let builtin: Builtin =
        toml::from_str(include_str!("../../../data/builtin.toml")).expect("builtin.toml");
    for economy in &builtin.economies {
        assert_eq!(resolved(&economy.code), Some(economy.code.as_str()));
        assert_eq!(resolved(&economy.iso2), Some(economy.code.as_str()));
    }
    for group in &builtin.groups {
        let today: BTreeSet<&str> = members(&group.code, "2026-01-01");
        let declared: BTreeSet<&str> = group.members.iter().map(String::as_str).collect();
        assert_eq!(today, declared, "{}", group.code);
    }
}

#[test]
fn rejects_ambiguous_files() {
    let file = REGISTRY_TOML.replacen("{ name = \"South Korea\"", "{ name = \"Japan\"", 1);
    assert!(matches!(
        Registry::parse(&file),
        Err(RegistryError::Ambiguous { .. })
    ));
}

#[test]
fn rejects_undeclared_sources_and_unknown_members() {
    let file = REGISTRY_TOML.replacen("sources = [\"iso3166\"]", "sources = [\"nowhere\"]", 1);
    assert!(matches!(
        Registry::parse(&file),
        Err(RegistryError::UnknownSource { .. })
    ));
    let file = REGISTRY_TOML.replacen("{ code = \"BEL\", from", "{ code = \"ANT\", from", 1);
    assert!(matches!(
        Registry::parse(&file),
        Err(RegistryError::UnknownMember { .. })
    ));
}
