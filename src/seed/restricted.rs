//! Publishers whose figures the built-in dataset may not carry: UN Comtrade
//! and the services that republish its data (WITS, the OEC). Their terms
//! forbid redistribution, and the dataset ships inside the binary.
//!
//! A source is identified by its `publisher`, whatever its URL: a figure
//! quoted from Comtrade is Comtrade's even when the page is hosted elsewhere.
//! The URL's host is a second signal, for a source whose publisher is
//! written some other way.

/// Names that mark a restricted publisher, as lower-case words. Whole words
/// are compared, so `OECD` or `Witsenburg` are not taken for these.
const PUBLISHER_NAMES: &[(&str, &str)] = &[
    ("comtrade", "UN Comtrade"),
    ("un comtrade", "UN Comtrade"),
    ("uncomtrade", "UN Comtrade"),
    ("wits", "WITS"),
    ("world integrated trade solution", "WITS"),
    ("oec", "the OEC"),
    ("observatory of economic complexity", "the OEC"),
];

/// Hosts (and their subdomains) that serve those publishers' data.
const HOSTS: &[(&str, &str)] = &[
    ("comtrade.un.org", "UN Comtrade"),
    ("comtradeplus.un.org", "UN Comtrade"),
    ("comtradeapi.un.org", "UN Comtrade"),
    ("wits.worldbank.org", "WITS"),
    ("oec.world", "the OEC"),
];

/// The restricted publisher a source belongs to, if any, and how it was
/// recognised.
pub(super) fn restricted_publisher(publisher: &str, url: &str) -> Option<String> {
    let words = words(publisher);
    let padded = format!(" {words} ");
    if let Some((_, name)) = PUBLISHER_NAMES
        .iter()
        .find(|(phrase, _)| padded.contains(&format!(" {phrase} ")))
    {
        return Some(format!("published by {name} (publisher '{publisher}')"));
    }
    let host = host(url)?;
    HOSTS
        .iter()
        .find(|(restricted, _)| {
            host == *restricted
                || host
                    .strip_suffix(restricted)
                    .is_some_and(|sub| sub.ends_with('.'))
        })
        .map(|(_, name)| format!("served by {name} (URL host '{host}')"))
}

/// The text's letters and digits as lower-case words joined by single spaces.
fn words(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The host of an absolute URL, lower-case, without user, port or a final dot.
fn host(url: &str) -> Option<String> {
    let (_, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host_port,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_publishers_by_name_whatever_the_case_and_url() {
        for publisher in [
            "UN Comtrade",
            "United Nations Comtrade Database",
            "UNComtrade",
            "un comtrade (via a news site)",
            "World Bank WITS",
            "World Integrated Trade Solution",
            "WORLD INTEGRATED TRADE SOLUTION (World Bank)",
            "OEC",
            "OEC World",
            "The Observatory of Economic Complexity",
        ] {
            assert!(
                restricted_publisher(publisher, "https://example.org/a").is_some(),
                "{publisher}"
            );
        }
    }

    #[test]
    fn recognises_the_hosts_and_their_subdomains() {
        for url in [
            "https://comtradeplus.un.org/TradeFlow",
            "http://comtrade.un.org/data",
            "https://WITS.worldbank.org./CountryProfile",
            "https://user@oec.world:443/en/profile",
            "https://www.oec.world/en",
        ] {
            assert!(restricted_publisher("Someone", url).is_some(), "{url}");
        }
    }

    #[test]
    fn leaves_other_publishers_and_hosts_alone() {
        for (publisher, url) in [
            ("OECD", "https://www.oecd.org/"),
            ("World Bank", "https://data.worldbank.org/indicator"),
            ("Witsenburg Ltd", "https://example.org/"),
            ("Korea Herald", "https://notoec.world/"),
            ("Korea Herald", "https://un.org/comtrade.un.org"),
            ("Korea Customs Service", "not a url"),
        ] {
            assert_eq!(restricted_publisher(publisher, url), None, "{publisher}");
        }
    }
}
