//! Questions and the answers encoded once per dataset snapshot.
//!
//! Most of a query call's work is building the protobuf tree of its answer
//! (string clones, allocation) and encoding it, for an answer that cannot
//! change until the dataset does. So every query method answers with
//! [`Encoded`] bytes kept in the snapshot's answer cache
//! ([`crate::query::AnswerCache`]), keyed by the [`Question`]: the call's
//! route (from the request, put there by the call layer) and the request
//! encoded again. A repeated question costs a hash lookup and a
//! reference-count increment; tonic writes the bytes as they are.
//!
//! When the operator turns answer compression on and the client accepts
//! that encoding, the compressed message is cached next to the plain one
//! (under the same key with another leading tag), so a repeated question is
//! never compressed twice; `compress.rs` puts it on the wire.

use std::marker::PhantomData;
use std::sync::Arc;

use bytes::{BufMut, Bytes};
use prost::Message;
use prost::encoding::{DecodeContext, WireType, skip_field};
use tonic::Status;

use super::compress::{self, CompressFor};
use super::errors;
use crate::config::AnswerCompression;

/// A response message already encoded. `T` names the message the bytes
/// hold, for the generated signatures.
pub struct Encoded<T> {
    message: Bytes,
    kind: PhantomData<fn() -> T>,
}

impl<T> Encoded<T> {
    /// Bytes that hold an encoded `T`.
    pub fn from_bytes(message: Bytes) -> Self {
        Self {
            message,
            kind: PhantomData,
        }
    }

    /// The encoded message.
    pub fn message_bytes(&self) -> Bytes {
        self.message.clone()
    }
}

impl<T> std::fmt::Debug for Encoded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoded({} bytes)", self.message.len())
    }
}

impl<T> Message for Encoded<T> {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.message);
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
        self.message.len()
    }

    fn clear(&mut self) {
        self.message = Bytes::new();
    }
}

/// The path of the call being answered, `/package.Service/Method`. The call
/// layer puts it on every request, so the cache key's method comes from
/// the route the call took.
#[derive(Debug, Clone)]
pub struct CallPath(pub Arc<str>);

/// The first byte of a cache key: which encoding of the answer it holds.
const PLAIN: u8 = 0;

/// A question as asked: which method, the request as the handler decoded
/// it, and whether its answer goes out compressed.
pub struct Question {
    path: Arc<str>,
    /// An encoding tag, the generation of the sources' states the answer
    /// reports (8 bytes, set by [`Question::bind`]), the path, a zero byte
    /// (no path holds one) and the request encoded again.
    key: Box<[u8]>,
    compress: Option<AnswerCompression>,
}

/// Where the generation sits in a key: after the encoding tag.
const GENERATION: std::ops::Range<usize> = 1..9;

impl Question {
    /// The question `request` asks and its message.
    pub fn of<R: Message>(request: tonic::Request<R>) -> Result<(Self, R), Status> {
        let path = request
            .extensions()
            .get::<CallPath>()
            .map(|path| Arc::clone(&path.0))
            .ok_or_else(|| {
                errors::internal("a query call reached its handler without its route")
            })?;
        let compress = request
            .extensions()
            .get::<CompressFor>()
            .map(|wanted| wanted.0);
        let message = request.into_inner();
        let key = key(&path, &message);
        Ok((
            Self {
                path,
                key,
                compress,
            },
            message,
        ))
    }

    /// Ties the question to the sources' states of the snapshot answering
    /// it: an answer that reports them is kept only for that generation,
    /// while the cache itself outlives a change of states (the entries of
    /// older generations age out of it like any other).
    pub fn bind(&mut self, generation: u64) {
        self.key[GENERATION].copy_from_slice(&generation.to_be_bytes());
    }

    /// The method's path, for logs and metrics.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The cache key of the plain answer.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The cache key of the plain answer, owned, to keep it.
    pub fn owned_key(&self) -> Box<[u8]> {
        self.key.clone()
    }

    /// The encoding the answer goes out in, if compressed.
    pub fn compression(&self) -> Option<AnswerCompression> {
        self.compress
    }

    /// The cache key of the answer compressed with `encoding`.
    pub fn compressed_key(&self, encoding: AnswerCompression) -> Box<[u8]> {
        let mut key = self.key.clone();
        key[0] = compress::tag(encoding);
        key
    }
}

fn key(path: &str, request: &impl Message) -> Box<[u8]> {
    let mut key = Vec::with_capacity(GENERATION.end + path.len() + 1 + request.encoded_len());
    key.push(PLAIN);
    key.extend_from_slice(&[0; GENERATION.end - GENERATION.start]);
    key.extend_from_slice(path.as_bytes());
    key.push(0);
    request.encode_raw(&mut key);
    key.into_boxed_slice()
}

#[cfg(test)]
mod tests;
