//! Mid-sized answers leave in DATA frames under 1 KiB, so several calls'
//! answers share one write.
//!
//! h2 copies a DATA payload under 1 KiB (its threshold on a stream without
//! vectored I/O, which [`super::coalesce`] reports) into its 16 KiB frame
//! buffer, next to other frames. A larger payload it keeps aside and must
//! write out, with a flush, before it takes the next frame: one system call
//! per answer (hyperium/h2 issue #902). Measured against the health check
//! on loopback, that flush made a 3.4 KB `GetBilateralTrade` cost as much
//! per call as a 13.8 KB `GetAgreement`.
//!
//! So answers between 1 and 8 KiB are cut into pieces under 1 KiB; h2 then
//! packs two or more answers per flush. Larger ones stay whole: one of them
//! fills h2's buffer by itself, so cutting it saves no flush and costs a
//! frame header and h2's per-frame work per piece (`bench/ab`, against the
//! same build without the cut: 5–14% slower for the 13.8 KB answer; 18–31%
//! faster for the 3.4 KB one, 8–9% for the 6.1 KB one). Cutting shares the
//! answer's bytes (`Bytes::split_off`), it copies nothing.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::Status;
use tonic::body::Body;

/// The largest piece h2 copies into its frame buffer (its chain threshold,
/// 1 KiB, minus one).
const PIECE_BYTES: usize = 1023;
/// Payloads larger than this are sent whole: half of h2's 16 KiB buffer.
const CUT_MAX_BYTES: usize = 8 * 1024;

/// A response body whose mid-sized DATA frames are cut into pieces.
pub struct SplitBody {
    inner: Body,
    /// What is left of the payload being cut.
    rest: Bytes,
}

impl SplitBody {
    pub fn wrap(inner: Body) -> Body {
        Body::new(Self {
            inner,
            rest: Bytes::new(),
        })
    }

    /// The next piece of `data`, keeping what follows it in `rest`.
    fn next_piece(&mut self, mut data: Bytes) -> Bytes {
        if data.len() <= PIECE_BYTES {
            return data;
        }
        self.rest = data.split_off(PIECE_BYTES);
        data
    }
}

impl HttpBody for SplitBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if !self.rest.is_empty() {
            let rest = std::mem::take(&mut self.rest);
            return Poll::Ready(Some(Ok(Frame::data(self.next_piece(rest)))));
        }
        let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            other => return Poll::Ready(other),
        };
        let frame = match frame.into_data() {
            Ok(data) if data.len() <= CUT_MAX_BYTES => Frame::data(self.next_piece(data)),
            Ok(data) => Frame::data(data),
            Err(frame) => frame,
        };
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let inner = self.inner.size_hint();
        let rest = self.rest.len() as u64;
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + rest);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + rest);
        }
        hint
    }
}

#[cfg(test)]
mod tests;
