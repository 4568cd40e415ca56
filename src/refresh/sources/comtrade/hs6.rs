//! Comtrade HS6 mode: the HS6 lines of every partner of each reporter, year
//! and flow, about a million for one reporter over five years.
//!
//! The partners are those the year's all-partner totals name (and the
//! dataset knows). They are asked for a few at a time
//! (`partnerCode=a,b,c&cmdCode=AG6&flowCode=X&maxRecords=100000`) so each
//! answer stays under the keyed API's 100,000-record cap: with ~5,600 HS6
//! subheadings, 17 partners can never reach it. An answer at the cap may
//! have been cut short and fails the run, as elsewhere.
//!
//! Each answer is read as it arrives ([`DataStream`] on a blocking thread,
//! fed by the HTTP body through a [`BodySink`]), checked record by record,
//! and becomes one [`ProductPage`] for the store to stage while the next
//! answer is fetched. Memory holds a few body pieces and a page or two of
//! compact lines, never the run. The configured partners' HS2/HS4 lines
//! come the same way, so every product line of the run is staged.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::background;
use crate::domain::{Batch, EconomyCode, HsCode, PageLine, ProductPage, Source, TradeFlow};
use crate::refresh::http::{BodySink, FetchError, SinkStopped};
use crate::refresh::parse::ParseError;
use crate::refresh::parse::comtrade::stream::{DataStream, RecordRef};
use crate::refresh::parse::comtrade::{self, Record};
use crate::refresh::validate;
use crate::store::UrlValidators;

use super::{
    Comtrade, Fetch, FetchContext, KEYED_CAP, SourceError, WORLD, code_of, flow_of, known_partner,
    parse_failure, redact, validators_of,
};

/// Largest answer accepted in HS6 mode. A keyed answer holds up to 100,000
/// records of ~1 KB with descriptions (~100 MB); 2 KiB a record leaves room
/// for long descriptions. The answer is read as it arrives and never held,
/// so this guards against a runaway answer; it does not bound memory.
const ANSWER_LIMIT: usize = KEYED_CAP as usize * 2048;
/// Body pieces (reqwest's are ~8–64 KiB) go to the page reader in batches
/// of about this many bytes: one wake-up per batch, not per piece.
const BATCH_BYTES: usize = 256 * 1024;
/// Batches queued for the page reader.
const BATCHES_QUEUED: usize = 4;

impl Comtrade {
    pub(super) async fn fetch_hs6(
        &self,
        ctx: &FetchContext<'_>,
        partners_per_request: usize,
    ) -> Result<Fetch, SourceError> {
        let staging = ctx.products.ok_or_else(|| {
            SourceError::Invalid("HS6 mode needs somewhere to stage product lines".to_owned())
        })?;
        let codes = self.reporter_codes(ctx).await?;
        let current_year = validate::current_year(ctx.now);
        let per_request = partners_per_request.clamp(1, usize::from(u16::MAX));
        let mut batch = Batch::default();
        let mut validators = Vec::new();
        for reporter in &self.reporters {
            let reporter_code = code_of(&codes, reporter)?;
            for &year in &self.years {
                let records = self
                    .all_partner_totals(
                        ctx,
                        reporter,
                        reporter_code,
                        year,
                        &mut batch,
                        &mut validators,
                    )
                    .await?;
                let mut pages = Vec::new();
                for flow in [TradeFlow::Export, TradeFlow::Import] {
                    let flow_code = flow_letter(flow);
                    for chunk in trading_partners(ctx, &records, flow).chunks(per_request) {
                        let list: Vec<String> = chunk.iter().map(|(c, _)| c.to_string()).collect();
                        let url = self.url_with(
                            reporter_code,
                            &format!(
                                "period={year}&flowCode={flow_code}&cmdCode=AG6&partnerCode={}&maxRecords={}",
                                list.join(","),
                                self.cap()
                            ),
                        );
                        let what = format!(
                            "{flow_code} AG6 partners {}-{}",
                            list.first().map_or("", String::as_str),
                            list.last().map_or("", String::as_str)
                        );
                        pages.push((url, what, vec![flow], chunk.to_vec()));
                    }
                }
                for partner in &self.partners {
                    if !ctx.dataset.is_known_economy(partner) {
                        return Err(SourceError::Invalid(format!(
                            "rejected by validation: partner '{partner}' is not a known economy"
                        )));
                    }
                    let partner_code = code_of(&codes, partner)?;
                    for level in ["AG2", "AG4"] {
                        let url = self.url(reporter_code, year, level, Some(partner_code));
                        let flows = vec![TradeFlow::Export, TradeFlow::Import];
                        let partners = vec![(partner_code, partner.clone())];
                        pages.push((url, format!("{partner} {level}"), flows, partners));
                    }
                }
                for (url, what, flows, partners) in pages {
                    let source = self.source(ctx, &url, reporter, year, &what);
                    let spec = PageSpec {
                        url: redact(&url),
                        reporter: reporter.clone(),
                        year,
                        flows,
                        partners,
                        cap: self.cap(),
                        current_year,
                        source: Arc::clone(&source),
                    };
                    let (page, body_validators) = self.product_page(ctx, &url, spec).await?;
                    validators.push(body_validators);
                    batch.sources.push(source);
                    if !page.lines.is_empty() {
                        staging
                            .send(page)
                            .await
                            .map_err(|error| SourceError::Invalid(error.to_string()))?;
                    }
                }
            }
        }
        Ok(Fetch::Data { batch, validators })
    }

    /// Fetches one answer, reading it into a page on a blocking thread as
    /// it arrives.
    async fn product_page(
        &self,
        ctx: &FetchContext<'_>,
        url: &str,
        spec: PageSpec,
    ) -> Result<(ProductPage, UrlValidators), SourceError> {
        let (sender, receiver) = mpsc::channel(BATCHES_QUEUED);
        let reader = background::spawn("comtrade-page", move || read_page(receiver, &spec))
            .map_err(|error| SourceError::Invalid(error.to_string()))?;
        let mut sink = PageSink {
            sender,
            pending: Vec::new(),
            pending_bytes: 0,
        };
        let fetched = ctx
            .get_into(url, self.key_header(), ANSWER_LIMIT, &mut sink)
            .await;
        let reader_stopped =
            || SourceError::Invalid(format!("{}: the page reader stopped", redact(url)));
        match fetched {
            Ok(body) if (200..300).contains(&body.status) => {
                // A failed send means the reader stopped; its result says why.
                if sink.flush().await.is_ok() {
                    let _ = sink.sender.send(PageMessage::End).await;
                }
                drop(sink);
                let page = reader
                    .await
                    .map_err(|_| reader_stopped())?
                    .map_err(|error| error.into_source_error(url))?;
                Ok((page, validators_of(url, &body)))
            }
            Ok(body) => {
                drop(sink);
                let _ = reader.await;
                // The provider's error document says more than the status.
                comtrade::parse_data(&body.body).map_err(|e| parse_failure(url, body.status, e))?;
                Err(SourceError::Status {
                    url: redact(url),
                    status: body.status,
                })
            }
            Err(SourceError::Http {
                source: FetchError::Stopped,
                ..
            }) => {
                drop(sink);
                match reader.await {
                    Ok(Err(error)) => Err(error.into_source_error(url)),
                    _ => Err(reader_stopped()),
                }
            }
            Err(error) => {
                drop(sink);
                let _ = reader.await;
                Err(error)
            }
        }
    }
}

fn flow_letter(flow: TradeFlow) -> &'static str {
    match flow {
        TradeFlow::Import => "M",
        _ => "X",
    }
}

/// The partners the all-partner totals name for `flow` that the dataset
/// knows as single economies, with their Comtrade codes, by code (one code
/// per economy).
fn trading_partners(
    ctx: &FetchContext<'_>,
    totals: &[Record],
    flow: TradeFlow,
) -> Vec<(u32, EconomyCode)> {
    let mut partners: Vec<(u32, EconomyCode)> = totals
        .iter()
        .filter(|r| r.partner_code != WORLD && r.cmd_code == "TOTAL" && flow_of(r) == Some(flow))
        .filter_map(|r| known_partner(ctx, &r.partner_iso).map(|p| (r.partner_code, p)))
        .collect();
    partners.sort();
    let mut seen = std::collections::HashSet::new();
    partners.retain(|(_, economy)| seen.insert(economy.clone()));
    partners
}

/// What one answer was asked for.
struct PageSpec {
    /// Without its query, for messages.
    url: String,
    reporter: EconomyCode,
    year: i32,
    flows: Vec<TradeFlow>,
    /// Comtrade code and economy of each partner asked for.
    partners: Vec<(u32, EconomyCode)>,
    cap: u64,
    current_year: i32,
    source: Arc<Source>,
}

#[derive(Debug)]
enum PageMessage {
    /// A (new) attempt's body begins.
    Start,
    /// The next pieces of the body.
    Pieces(Vec<Bytes>),
    /// The body is complete.
    End,
}

/// Hands the body to the page reader, a batch of pieces at a time.
struct PageSink {
    sender: mpsc::Sender<PageMessage>,
    pending: Vec<Bytes>,
    pending_bytes: usize,
}

impl PageSink {
    async fn flush(&mut self) -> Result<(), SinkStopped> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        self.sender
            .send(PageMessage::Pieces(batch))
            .await
            .map_err(|_| SinkStopped)
    }
}

#[tonic::async_trait]
impl BodySink for PageSink {
    async fn start(&mut self) -> Result<(), SinkStopped> {
        self.pending.clear();
        self.pending_bytes = 0;
        self.sender
            .send(PageMessage::Start)
            .await
            .map_err(|_| SinkStopped)
    }

    async fn piece(&mut self, piece: Bytes) -> Result<(), SinkStopped> {
        self.pending_bytes += piece.len();
        self.pending.push(piece);
        if self.pending_bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }
}

/// Why an answer did not become a page.
#[derive(Debug)]
enum PageError {
    Parse(ParseError),
    /// Well formed, but not what was asked for, or refused by validation.
    Invalid(String),
    /// The body never ended (the fetch failed or was abandoned).
    Aborted,
}

impl PageError {
    fn into_source_error(self, url: &str) -> SourceError {
        match self {
            Self::Parse(error) => parse_failure(url, 200, error),
            Self::Invalid(message) => SourceError::Invalid(message),
            Self::Aborted => {
                SourceError::Invalid(format!("{}: the answer ended early", redact(url)))
            }
        }
    }
}

/// The page reader's loop: restarts on every attempt, ends with the body.
fn read_page(
    mut receiver: mpsc::Receiver<PageMessage>,
    spec: &PageSpec,
) -> Result<ProductPage, PageError> {
    let mut reader: Option<PageReader<'_>> = None;
    while let Some(message) = receiver.blocking_recv() {
        match message {
            PageMessage::Start => reader = Some(PageReader::new(spec)),
            PageMessage::Pieces(pieces) => {
                let reader = reader.as_mut().ok_or(PageError::Aborted)?;
                for piece in pieces {
                    reader.push(&piece)?;
                }
            }
            PageMessage::End => return reader.take().ok_or(PageError::Aborted)?.finish(),
        }
    }
    Err(PageError::Aborted)
}

struct PageReader<'a> {
    stream: DataStream,
    lines: Lines<'a>,
}

impl<'a> PageReader<'a> {
    fn new(spec: &'a PageSpec) -> Self {
        Self {
            stream: DataStream::new(),
            lines: Lines::new(spec),
        }
    }

    fn push(&mut self, piece: &[u8]) -> Result<(), PageError> {
        let Self { stream, lines } = self;
        let result = stream.push(piece, &mut |index, record| lines.add(index, &record));
        result.map_err(|error| lines.error(error))
    }

    fn finish(self) -> Result<ProductPage, PageError> {
        let Self { stream, mut lines } = self;
        let envelope = stream
            .finish(&mut |index, record| lines.add(index, &record))
            .map_err(|error| lines.error(error))?;
        let spec = lines.spec;
        if envelope.count >= spec.cap || envelope.records >= spec.cap {
            return Err(lines.cap_error(envelope.count.max(envelope.records)));
        }
        Ok(ProductPage {
            reporter: spec.reporter.clone(),
            year: spec.year,
            source: Arc::clone(&spec.source),
            partners: spec.partners.iter().map(|(_, p)| p.clone()).collect(),
            descriptions: lines.descriptions,
            lines: lines.lines,
        })
    }
}

/// Checks records and keeps them as compact lines.
struct Lines<'a> {
    spec: &'a PageSpec,
    /// Comtrade partner code → index into `spec.partners`.
    partner_index: HashMap<u32, u16>,
    descriptions: Vec<String>,
    /// Where each code's description is (codes repeat for every partner).
    description_index: HashMap<HsCode, u32>,
    lines: Vec<PageLine>,
    /// Why a record was refused (the stream only carries parse errors).
    invalid: Option<String>,
}

impl<'a> Lines<'a> {
    fn new(spec: &'a PageSpec) -> Self {
        let partner_index = spec
            .partners
            .iter()
            .enumerate()
            .map(|(index, (code, _))| (*code, u16::try_from(index).unwrap_or(u16::MAX)))
            .collect();
        Self {
            spec,
            partner_index,
            descriptions: Vec::new(),
            description_index: HashMap::new(),
            lines: Vec::new(),
            invalid: None,
        }
    }

    /// A parse error, or the refusal [`Self::add`] stopped the stream with.
    fn error(&mut self, error: ParseError) -> PageError {
        match self.invalid.take() {
            Some(message) => PageError::Invalid(message),
            None => PageError::Parse(error),
        }
    }

    fn cap_error(&self, count: u64) -> PageError {
        PageError::Invalid(format!(
            "{}: {count} records hit the cap of {}; refusing an incomplete partner list",
            self.spec.url, self.spec.cap
        ))
    }

    fn refuse(&mut self, message: String) -> Result<(), ParseError> {
        self.invalid = Some(message);
        Err(ParseError::Schema(String::new()))
    }

    fn add(&mut self, index: u64, record: &RecordRef<'_>) -> Result<(), ParseError> {
        let spec = self.spec;
        if index + 1 >= spec.cap {
            let message = match self.cap_error(index + 1) {
                PageError::Invalid(message) => message,
                other => format!("{other:?}"),
            };
            return self.refuse(message);
        }
        let reporter_iso = record.reporter_iso.as_deref().unwrap_or_default();
        if reporter_iso != spec.reporter.as_str() {
            return self.refuse(format!(
                "{}: asked for {} but got a record for {reporter_iso}",
                spec.url, spec.reporter
            ));
        }
        let year = record.ref_year.unwrap_or_default();
        if year != i64::from(spec.year) {
            return self.refuse(format!(
                "{}: asked for {} but got a record for {year}",
                spec.url, spec.year
            ));
        }
        let flow = match record.flow_code.as_deref() {
            Some("X") => TradeFlow::Export,
            Some("M") => TradeFlow::Import,
            // Re-exports and the like are not product lines we keep.
            _ => return Ok(()),
        };
        if !spec.flows.contains(&flow) {
            return self.refuse(format!(
                "{}: asked for {} but got a record for {}",
                spec.url,
                spec.flows
                    .iter()
                    .map(|f| flow_letter(*f))
                    .collect::<Vec<_>>()
                    .join(","),
                flow_letter(flow)
            ));
        }
        if !matches!(record.aggr_level(), Some(2 | 4 | 6)) {
            return Ok(());
        }
        let code = record.partner_code.unwrap_or(-1);
        let Some(partner) = u32::try_from(code)
            .ok()
            .and_then(|code| self.partner_index.get(&code).copied())
        else {
            return self.refuse(format!(
                "{}: asked for partners {} but got a record for partner {code}",
                spec.url,
                spec.partners
                    .iter()
                    .map(|(c, _)| c.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        };
        let hs_code = record.cmd_code.as_deref().unwrap_or_default();
        let value_usd = record.primary_value.unwrap_or(f64::NAN);
        let what = || {
            format!(
                "product flow {}→{} {} HS{hs_code} {}",
                spec.reporter,
                spec.partners[usize::from(partner)].1,
                flow.as_str(),
                spec.year
            )
        };
        if let Err(rejected) =
            validate::product_line(&what, spec.year, hs_code, value_usd, spec.current_year)
        {
            return self.refuse(rejected.to_string());
        }
        let Some(hs_code) = HsCode::parse(hs_code) else {
            return self.refuse(format!("{}: '{hs_code}' is not an HS code", what()));
        };
        let description = self.description(hs_code, record.cmd_desc.as_deref().unwrap_or_default());
        self.lines.push(PageLine {
            partner,
            flow,
            hs_code,
            description,
            value_usd,
        });
        Ok(())
    }

    /// Descriptions repeat for every partner: each code's is stored once a
    /// page (again only if an answer describes one code two ways).
    fn description(&mut self, code: HsCode, text: &str) -> u32 {
        if let Some(&index) = self.description_index.get(&code)
            && self.descriptions[index as usize] == text
        {
            return index;
        }
        let index = u32::try_from(self.descriptions.len()).unwrap_or(u32::MAX);
        self.descriptions.push(text.to_owned());
        self.description_index.insert(code, index);
        index
    }
}

#[cfg(test)]
mod tests;
