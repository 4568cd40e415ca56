//! The dataset being served and the answers already given from it, as one
//! value swapped whole.
//!
//! A call loads one [`Snapshot`] and answers from it to the end: from its
//! dataset, and through its [`AnswerCache`]. Because the cache is part of
//! the snapshot, a call that started before a refresh can only read or fill
//! the old snapshot's cache, which is dropped with it; it can never serve,
//! store or evict an answer of the new one.
//!
//! The cache holds opaque bytes under opaque keys: the gRPC edge decides
//! what a question and an answer are (its request and response encodings),
//! this module only keeps them within a byte budget.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::domain::Dataset;

/// The dataset currently being served and its answers, replaced whole after
/// each load.
pub struct ReadModel {
    current: ArcSwapOption<Snapshot>,
    answer_cache_bytes: u64,
}

impl ReadModel {
    /// A read model with nothing loaded yet, whose snapshots each keep at
    /// most `answer_cache_bytes` of answers (0 keeps none).
    pub fn new(answer_cache_bytes: u64) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            answer_cache_bytes,
        }
    }

    /// The snapshot to answer one call from, once one is loaded; stays valid
    /// while held, whatever replaces it meanwhile.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// The current dataset alone, for work that gives no answers.
    pub fn dataset(&self) -> Option<Arc<Dataset>> {
        self.current
            .load()
            .as_ref()
            .map(|snapshot| Arc::clone(&snapshot.dataset))
    }

    /// Makes `dataset` the one every later call sees, with no answers yet;
    /// the sources' states stay as they were.
    pub fn replace(&self, dataset: Dataset) {
        let current = self.current.load_full();
        let snapshot = Snapshot {
            dataset: Arc::new(dataset),
            sources: current
                .as_ref()
                .map(|snapshot| Arc::clone(&snapshot.sources))
                .unwrap_or_default(),
            generation: current.as_ref().map_or(0, |snapshot| snapshot.generation),
            answers: Arc::new(AnswerCache::new(self.answer_cache_bytes)),
        };
        self.current.store(Some(Arc::new(snapshot)));
    }

    /// Makes `sources` the states every later answer reports, with the same
    /// dataset and the same cache under a new generation: an answer is
    /// kept under the generation of the states it was given with, so one
    /// that reports them is never served once they change. No-op before a
    /// dataset is loaded (the load publishes them).
    pub fn set_sources(&self, sources: Vec<SourceStatus>) {
        let Some(current) = self.current.load_full() else {
            return;
        };
        // Published again unchanged (a reader does it on every change
        // Litestream applies, heartbeats included): the cached answers
        // still report them, so their keys stay.
        if *current.sources == *sources {
            return;
        }
        let snapshot = Snapshot {
            dataset: Arc::clone(&current.dataset),
            sources: sources.into(),
            generation: current.generation + 1,
            answers: Arc::clone(&current.answers),
        };
        self.current.store(Some(Arc::new(snapshot)));
    }

    /// The sources' states answers currently report.
    pub fn sources(&self) -> Arc<[SourceStatus]> {
        self.current
            .load()
            .as_ref()
            .map(|snapshot| Arc::clone(&snapshot.sources))
            .unwrap_or_default()
    }
}

/// One dataset, the refresh sources' states when it was published, and the
/// answers given from both.
pub struct Snapshot {
    pub dataset: Arc<Dataset>,
    pub sources: Arc<[SourceStatus]>,
    /// Counts the states published for this dataset's cache; answers are
    /// kept under it (see `grpc::answer::Question::bind`).
    pub generation: u64,
    /// Shared by the snapshots of one dataset.
    pub answers: Arc<AnswerCache>,
}

/// A refresh source as answers report it: when it last succeeded, whether
/// its data are older than its maximum age, and what its last run did.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    /// `worldbank`, `comtrade`, `imf`, `customs`, `wto`.
    pub name: String,
    /// Why it does not run as configured (no key, say); `None` when it runs.
    pub skip_reason: Option<String>,
    /// RFC 3339.
    pub last_success_at: Option<String>,
    pub max_age: Duration,
    /// Never succeeded, or succeeded longer than `max_age` ago.
    pub stale: bool,
    /// Its last run: state, start (RFC 3339) and error, if it ever ran.
    pub last_run: Option<(String, String, String)>,
}

impl SourceStatus {
    /// One line a user can act on: "not configured: …", "never run",
    /// "last run FAILED at … (…)", with the last success when there was one.
    pub fn describe(&self) -> String {
        if let Some(reason) = &self.skip_reason {
            return format!("not configured: {reason}");
        }
        let mut text = match &self.last_run {
            None => "never run".to_owned(),
            Some((state, started_at, error)) if error.is_empty() => {
                format!("last run {state} at {started_at}")
            }
            Some((state, started_at, error)) => {
                format!("last run {state} at {started_at} ({error})")
            }
        };
        if let Some(at) = &self.last_success_at {
            text.push_str(&format!("; last success at {at}"));
        }
        text
    }
}

/// Encoded answers of one snapshot, bounded in bytes (keys and values
/// counted); when full, the entries least likely to be asked again go
/// first (quick_cache's CLOCK-Pro eviction), not everything at once.
pub struct AnswerCache {
    entries: Option<Cache<Box<[u8]>, Bytes, ByteSize>>,
}

/// The cache's weight of an entry: its bytes.
#[derive(Clone, Copy)]
struct ByteSize;

impl Weighter<Box<[u8]>, Bytes> for ByteSize {
    fn weight(&self, key: &Box<[u8]>, value: &Bytes) -> u64 {
        (key.len() + value.len()) as u64
    }
}

/// An answer is a few hundred bytes to tens of kilobytes; the estimate only
/// sizes the cache's tables up front.
const TYPICAL_ENTRY_BYTES: u64 = 4096;

impl AnswerCache {
    /// A cache of at most `max_bytes`; 0 keeps nothing.
    pub fn new(max_bytes: u64) -> Self {
        let entries = (max_bytes > 0).then(|| {
            let estimated = usize::try_from(max_bytes / TYPICAL_ENTRY_BYTES)
                .unwrap_or(usize::MAX)
                .max(16);
            Cache::with_weighter(estimated, max_bytes, ByteSize)
        });
        Self { entries }
    }

    /// The answer kept for `key`, if any.
    pub fn get(&self, key: &[u8]) -> Option<Bytes> {
        self.entries.as_ref()?.get(key)
    }

    /// Keeps `answer` for `key`. An entry larger than the whole budget is
    /// not kept.
    pub fn insert(&self, key: Box<[u8]>, answer: Bytes) {
        if let Some(entries) = &self.entries {
            entries.insert(key, answer);
        }
    }

    /// Bytes held (keys and answers).
    #[cfg(test)]
    pub fn held_bytes(&self) -> u64 {
        self.entries.as_ref().map_or(0, Cache::weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(len: usize) -> Bytes {
        Bytes::from(vec![7; len])
    }

    #[test]
    fn an_answer_is_kept_and_found_by_its_key() {
        let cache = AnswerCache::new(1 << 20);
        cache.insert(b"q1".as_slice().into(), answer(10));
        assert_eq!(cache.get(b"q1"), Some(answer(10)));
        assert_eq!(cache.get(b"q2"), None);
        assert_eq!(cache.held_bytes(), 12);
    }

    #[test]
    fn a_full_cache_evicts_some_entries_and_keeps_within_its_budget() {
        let cache = AnswerCache::new(10_000);
        for i in 0..100u32 {
            cache.insert(i.to_be_bytes().as_slice().into(), answer(996));
        }
        assert!(cache.held_bytes() <= 10_000, "{}", cache.held_bytes());
        let kept = (0..100u32)
            .filter(|i| cache.get(&i.to_be_bytes()).is_some())
            .count();
        assert!((5..=10).contains(&kept), "kept {kept} of 100");
    }

    fn status(name: &str, last_success_at: Option<&str>) -> SourceStatus {
        SourceStatus {
            name: name.into(),
            skip_reason: None,
            last_success_at: last_success_at.map(str::to_owned),
            max_age: Duration::from_secs(3600),
            stale: last_success_at.is_none(),
            last_run: None,
        }
    }

    #[test]
    fn new_source_states_keep_the_dataset_and_the_cache_under_a_new_generation() {
        let model = ReadModel::new(1 << 20);
        model.set_sources(vec![status("imf", None)]);
        assert!(
            model.snapshot().is_none(),
            "nothing to publish before a load"
        );
        model.replace(Dataset::default());
        let first = model.snapshot().expect("loaded");
        first.answers.insert(b"q".as_slice().into(), answer(3));
        model.set_sources(vec![status("imf", Some("2026-12-05T00:00:00Z"))]);
        let second = model.snapshot().expect("loaded");
        assert!(Arc::ptr_eq(&first.dataset, &second.dataset));
        assert!(Arc::ptr_eq(&first.answers, &second.answers), "one cache");
        assert_eq!(second.generation, first.generation + 1, "keys change");
        assert_eq!(
            second.sources[0].last_success_at.as_deref(),
            Some("2026-12-05T00:00:00Z")
        );
        // A new dataset keeps the states.
        model.replace(Dataset::default());
        assert_eq!(model.sources().as_ref(), second.sources.as_ref());
    }

    #[test]
    fn the_same_source_states_published_again_keep_the_generation() {
        let model = ReadModel::new(1 << 20);
        model.replace(Dataset::default());
        model.set_sources(vec![status("imf", Some("2026-12-05T00:00:00Z"))]);
        let first = model.snapshot().expect("loaded");
        model.set_sources(vec![status("imf", Some("2026-12-05T00:00:00Z"))]);
        let again = model.snapshot().expect("loaded");
        assert_eq!(again.generation, first.generation, "cached answers stay");
        model.set_sources(vec![status("imf", Some("2026-12-06T00:00:00Z"))]);
        let changed = model.snapshot().expect("loaded");
        assert_eq!(changed.generation, first.generation + 1);
    }

    #[test]
    fn a_source_state_reads_as_a_person_would_say_it() {
        let mut imf = status("imf", None);
        assert_eq!(imf.describe(), "never run");
        imf.last_run = Some((
            "FAILED".into(),
            "2026-12-05T01:00:00Z".into(),
            "404 Not Found".into(),
        ));
        imf.last_success_at = Some("2026-12-04T01:00:00Z".into());
        assert_eq!(
            imf.describe(),
            "last run FAILED at 2026-12-05T01:00:00Z (404 Not Found); last success at 2026-12-04T01:00:00Z"
        );
        imf.skip_reason = Some("no key".into());
        assert_eq!(imf.describe(), "not configured: no key");
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = AnswerCache::new(0);
        cache.insert(b"q".as_slice().into(), answer(1));
        assert_eq!(cache.get(b"q"), None);
        assert_eq!(cache.held_bytes(), 0);
    }

    #[test]
    fn each_snapshot_has_its_own_answers() {
        let model = ReadModel::new(1 << 20);
        assert!(model.snapshot().is_none());
        model.replace(Dataset::default());
        let old = model.snapshot().expect("loaded");
        old.answers.insert(b"q".as_slice().into(), answer(3));
        model.replace(Dataset::default());
        let new = model.snapshot().expect("loaded");
        assert_eq!(new.answers.get(b"q"), None, "a new snapshot starts empty");
        // A call still holding the old snapshot fills only the old cache.
        old.answers.insert(b"r".as_slice().into(), answer(3));
        assert_eq!(new.answers.get(b"r"), None);
        assert_eq!(old.answers.get(b"q"), Some(answer(3)));
    }
}
