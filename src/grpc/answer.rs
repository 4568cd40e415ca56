//! Answers encoded once per dataset snapshot.
//!
//! Profiling `GetAgreement` showed most of a call's time in building the
//! protobuf tree (string clones, allocation) and encoding it, for an answer
//! that cannot change until the dataset does. So every query method answers
//! with [`Encoded`] bytes, and [`AnswerCache`] keeps them per snapshot, keyed
//! by method and the request's own encoding: a repeated question costs a hash
//! lookup and a reference-count increment. The cache lives and dies with one
//! snapshot (a new dataset starts an empty one), so it can never serve an
//! answer from data that are no longer current. It is bounded in bytes; when
//! full it starts over rather than tracking recency, which keeps lookups
//! cheap and memory flat.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};

use arc_swap::ArcSwapOption;
use bytes::{BufMut, Bytes};
use prost::Message;
use prost::encoding::{DecodeContext, WireType, skip_field};

use crate::domain::Dataset;

/// gRPC's length prefix: a compression flag byte and a big-endian length.
pub const FRAME_PREFIX: usize = 5;

/// A response message already encoded, kept with gRPC's length prefix in
/// front so the call layer can send it as it is (`fast_path.rs`); tonic
/// writes the message after the prefix. `T` names the message the bytes
/// hold, for the generated signatures.
pub struct Encoded<T> {
    framed: Bytes,
    message: PhantomData<fn() -> T>,
}

impl<T> Encoded<T> {
    fn new(framed: Bytes) -> Self {
        Self {
            framed,
            message: PhantomData,
        }
    }

    /// Encodes `message` now, behind an uncompressed gRPC prefix.
    pub fn encode(message: &T) -> Self
    where
        T: Message,
    {
        let len = message.encoded_len();
        let mut framed = Vec::with_capacity(FRAME_PREFIX + len);
        framed.push(0);
        // An answer over 4 GiB cannot be sent at all (tonic's own limit is
        // lower); the prefix is only ever read for answers far below that.
        framed.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
        message.encode_raw(&mut framed);
        Self::new(Bytes::from(framed))
    }

    /// The encoded message, without the prefix.
    pub fn message_bytes(&self) -> Bytes {
        self.framed.slice(FRAME_PREFIX..)
    }
}

impl<T> std::fmt::Debug for Encoded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoded({} bytes)", self.encoded_len())
    }
}

impl<T> Message for Encoded<T> {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.framed[FRAME_PREFIX..]);
    }

    /// Never decoded on the server; a client decodes into `T` itself.
    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl bytes::Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.framed.len() - FRAME_PREFIX
    }

    fn clear(&mut self) {
        self.framed = Bytes::from_static(&[0; FRAME_PREFIX]);
    }
}

/// A question as asked: the method's path, a zero byte (no path holds
/// one), and the request's encoding.
type Key = Box<[u8]>;

/// The key of `method` and a request of `request_len` bytes that
/// `write_request` appends.
fn key(method: &str, request_len: usize, write_request: impl FnOnce(&mut Vec<u8>)) -> Key {
    let mut key = Vec::with_capacity(method.len() + 1 + request_len);
    key.extend_from_slice(method.as_bytes());
    key.push(0);
    write_request(&mut key);
    key.into_boxed_slice()
}

/// A question as the handler decoded it, encoded again.
pub struct CacheKey(Key);

impl CacheKey {
    /// `method` is the call's path, `/package.Service/Method`.
    pub fn new(method: &'static str, request: &impl Message) -> Self {
        Self(key(method, request.encoded_len(), |key| {
            request.encode_raw(key);
        }))
    }
}

/// The answers of one snapshot.
struct Generation {
    /// Which snapshot; weak so the cache never keeps an old dataset alive.
    dataset: Weak<Dataset>,
    answers: RwLock<HashMap<Key, Bytes>>,
    bytes: AtomicUsize,
}

impl Generation {
    fn new(dataset: &Arc<Dataset>) -> Self {
        Self {
            dataset: Arc::downgrade(dataset),
            answers: RwLock::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
        }
    }

    fn serves(&self, dataset: &Arc<Dataset>) -> bool {
        std::ptr::eq(self.dataset.as_ptr(), Arc::as_ptr(dataset))
    }
}

/// Encoded answers of the current snapshot, bounded by `max_bytes`.
pub struct AnswerCache {
    current: ArcSwapOption<Generation>,
    max_bytes: usize,
}

impl AnswerCache {
    /// A cache holding at most `max_bytes` of answers; 0 turns it off.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            max_bytes,
        }
    }

    /// The answer to `request` on `method` from `dataset`: the cached bytes
    /// when the same question was answered from this snapshot, otherwise
    /// `answer()` encoded and kept. Errors are never cached.
    pub fn get_or_encode<T: Message, E>(
        &self,
        dataset: &Arc<Dataset>,
        method: &'static str,
        request: &impl Message,
        answer: impl FnOnce() -> Result<T, E>,
    ) -> Result<Encoded<T>, E> {
        let key = CacheKey::new(method, request);
        if let Some(hit) = self.get(dataset, &key) {
            return Ok(hit);
        }
        let encoded = Encoded::encode(&answer()?);
        self.put(dataset, key, &encoded);
        Ok(encoded)
    }

    /// The cached answer to `key` from `dataset`, if there is one.
    pub fn get<T>(&self, dataset: &Arc<Dataset>, key: &CacheKey) -> Option<Encoded<T>> {
        self.lookup(dataset, &key.0).map(Encoded::new)
    }

    /// The cached answer, framed, to `request` as received on `method`
    /// (its path): the request's bytes as the client encoded them. A client
    /// that encodes a question as prost does (fields in order, defaults
    /// left out) finds the handler's answer; any other encoding misses,
    /// never finds another question's answer, since the same bytes always
    /// decode to the same question.
    pub fn get_framed(
        &self,
        dataset: &Arc<Dataset>,
        method: &str,
        request: &[u8],
    ) -> Option<Bytes> {
        let key = key(method, request.len(), |key| key.extend_from_slice(request));
        self.lookup(dataset, &key)
    }

    fn lookup(&self, dataset: &Arc<Dataset>, key: &[u8]) -> Option<Bytes> {
        if self.max_bytes == 0 {
            return None;
        }
        let generation = self.generation(dataset);
        read(&generation.answers).get(key).cloned()
    }

    /// Keeps `answer` as the answer to `key` from `dataset`.
    pub fn put<T>(&self, dataset: &Arc<Dataset>, key: CacheKey, answer: &Encoded<T>) {
        if self.max_bytes == 0 {
            return;
        }
        // Only into the generation of the snapshot the answer came from: a
        // call that outlived a swap must not fill the new snapshot's cache.
        if let Some(generation) = self.current.load_full()
            && generation.serves(dataset)
        {
            self.keep(&generation, key.0, answer.framed.clone());
        }
    }

    fn generation(&self, dataset: &Arc<Dataset>) -> Arc<Generation> {
        if let Some(generation) = self.current.load_full()
            && generation.serves(dataset)
        {
            return generation;
        }
        // A new snapshot: start over. Two calls racing here each make one;
        // the last stored wins and the other's answers are simply not kept.
        let generation = Arc::new(Generation::new(dataset));
        self.current.store(Some(generation.clone()));
        generation
    }

    fn keep(&self, generation: &Generation, key: Key, bytes: Bytes) {
        let size = bytes.len() + key.len();
        if size > self.max_bytes {
            return;
        }
        let mut answers = write(&generation.answers);
        if generation.bytes.load(Ordering::Relaxed) + size > self.max_bytes {
            answers.clear();
            generation.bytes.store(0, Ordering::Relaxed);
        }
        if answers.insert(key, bytes).is_none() {
            generation.bytes.fetch_add(size, Ordering::Relaxed);
        }
    }

    /// Bytes held for the current snapshot.
    pub fn held_bytes(&self) -> usize {
        self.current
            .load()
            .as_ref()
            .map_or(0, |g| g.bytes.load(Ordering::Relaxed))
    }
}

/// The lock never guards an invariant a panic could break (entries are
/// immutable bytes), so a poisoned lock is still safe to use.
fn read<V>(lock: &RwLock<V>) -> std::sync::RwLockReadGuard<'_, V> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<V>(lock: &RwLock<V>) -> std::sync::RwLockWriteGuard<'_, V> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
