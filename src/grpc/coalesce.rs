//! A connection whose writes are gathered until the protocol flushes.
//!
//! Profiling `RankPartners` (563 B answers) against the health check (7 B)
//! on the same server showed three `writev` calls per call against half of
//! one, and twice the kernel time per call. h2 hands a DATA payload at or
//! over its chain threshold to the socket as a slice of its own rather than
//! copying it, and must flush before it can queue the next frame; on
//! vectored I/O that threshold is 256 bytes, otherwise 1 KiB. This stream
//! reports itself as not vectored, so answers under 1 KiB are copied into
//! h2's buffer and many go out together; and it gathers h2's writes until
//! h2 flushes at the end of its turn, so a frame and the buffer before it
//! leave in one system call rather than two. A payload over 1 KiB still
//! costs h2 a flush of its own: `split.rs` cuts answers up to 8 KiB
//! below that threshold.
//!
//! The buffer is allocated on the first write and given back once a flush
//! empties it if it grew past [`KEPT_BYTES`], so an idle connection holds
//! at most that. Writes that would not fit in [`MAX_BYTES`] go straight
//! through after what is buffered.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Bytes gathered before they are written regardless of a flush.
const MAX_BYTES: usize = 64 * 1024;
/// A buffer no larger than this is kept between flushes.
const KEPT_BYTES: usize = 16 * 1024;

/// A stream whose writes wait in a buffer until flushed (or until the
/// buffer is full); reads pass straight through.
pub struct CoalescedIo<S> {
    inner: S,
    buffer: Vec<u8>,
    /// How much of `buffer` the stream has taken already.
    written: usize,
}

impl<S> CoalescedIo<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
            written: 0,
        }
    }

    fn pending(&self) -> usize {
        self.buffer.len() - self.written
    }
}

impl<S: AsyncWrite + Unpin> CoalescedIo<S> {
    /// Writes out everything buffered.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buffer.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buffer[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.written = 0;
        if self.buffer.capacity() > KEPT_BYTES {
            self.buffer = Vec::new();
        } else {
            self.buffer.clear();
        }
        Poll::Ready(Ok(()))
    }

    fn buffer_all(&mut self, slices: &[IoSlice<'_>], total: usize) -> usize {
        if self.buffer.capacity() == 0 {
            self.buffer.reserve(KEPT_BYTES.max(total));
        }
        for slice in slices {
            self.buffer.extend_from_slice(slice);
        }
        total
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CoalescedIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(data)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        slices: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let total: usize = slices.iter().map(|slice| slice.len()).sum();
        if this.buffer.len() + total > MAX_BYTES && this.pending() > 0 {
            ready!(this.poll_drain(cx))?;
        }
        if total > MAX_BYTES {
            // Too big to gather: nothing is buffered now, so order holds.
            return Pin::new(&mut this.inner).poll_write_vectored(cx, slices);
        }
        Poll::Ready(Ok(this.buffer_all(slices, total)))
    }

    /// Not vectored, on purpose: h2 then copies DATA payloads up to 1 KiB
    /// into its own buffer instead of handing each over as a slice that
    /// forces a flush of its own (see the module comment).
    fn is_write_vectored(&self) -> bool {
        false
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CoalescedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl Connected for CoalescedIo<TcpStream> {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A writer that records each write it is given, so a test can count
    /// the system calls the real socket would have seen.
    #[derive(Default)]
    struct Recorder {
        writes: Vec<Vec<u8>>,
        /// Accept at most this many bytes per write (a full socket buffer).
        limit: Option<usize>,
        flushes: usize,
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            let n = this.limit.map_or(data.len(), |limit| limit.min(data.len()));
            this.writes.push(data[..n].to_vec());
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().flushes += 1;
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn joined(writes: &[Vec<u8>]) -> Vec<u8> {
        writes.concat()
    }

    #[tokio::test]
    async fn frames_wait_for_the_flush_and_leave_in_one_write() {
        let mut io = CoalescedIo::new(Recorder::default());
        let frames: Vec<Vec<u8>> = (0..20u8).map(|n| vec![n; 700]).collect();
        for frame in &frames {
            io.write_all(frame).await.expect("the write is taken");
        }
        assert!(
            io.inner.writes.is_empty(),
            "nothing is written before a flush"
        );
        io.flush().await.expect("the flush completes");
        assert_eq!(io.inner.writes.len(), 1);
        assert_eq!(io.inner.flushes, 1);
        assert_eq!(joined(&io.inner.writes), frames.concat());
    }

    #[tokio::test]
    async fn vectored_writes_keep_their_order() {
        let mut io = CoalescedIo::new(Recorder::default());
        let (a, b, c) = (vec![1u8; 9], vec![2u8; 300], vec![3u8; 40]);
        let slices = [IoSlice::new(&a), IoSlice::new(&b)];
        let n = io
            .write_vectored(&slices)
            .await
            .expect("the write is taken");
        assert_eq!(n, a.len() + b.len());
        io.write_all(&c).await.expect("the write is taken");
        io.flush().await.expect("the flush completes");
        assert_eq!(joined(&io.inner.writes), [a, b, c].concat());
    }

    #[tokio::test]
    async fn a_full_buffer_is_written_before_more_is_taken() {
        let mut io = CoalescedIo::new(Recorder::default());
        let first = vec![7u8; MAX_BYTES - 10];
        let second = vec![8u8; 100];
        io.write_all(&first).await.expect("the write is taken");
        io.write_all(&second).await.expect("the write is taken");
        assert_eq!(
            io.inner.writes.len(),
            1,
            "the first batch went out to make room"
        );
        io.flush().await.expect("the flush completes");
        assert_eq!(joined(&io.inner.writes), [first, second].concat());
    }

    #[tokio::test]
    async fn a_write_larger_than_the_buffer_goes_through_after_what_waits() {
        let mut io = CoalescedIo::new(Recorder::default());
        let small = vec![1u8; 50];
        let huge = vec![2u8; MAX_BYTES + 1];
        io.write_all(&small).await.expect("the write is taken");
        io.write_all(&huge).await.expect("the write is taken");
        io.flush().await.expect("the flush completes");
        assert_eq!(joined(&io.inner.writes), [small, huge].concat());
    }

    #[tokio::test]
    async fn partial_socket_writes_are_resumed_where_they_stopped() {
        let recorder = Recorder {
            limit: Some(1000),
            ..Recorder::default()
        };
        let mut io = CoalescedIo::new(recorder);
        let data: Vec<u8> = (0..5000u32).map(|n| (n % 251) as u8).collect();
        io.write_all(&data).await.expect("the write is taken");
        io.flush().await.expect("the flush completes");
        assert_eq!(io.inner.writes.len(), 5);
        assert_eq!(joined(&io.inner.writes), data);
    }

    #[tokio::test]
    async fn a_grown_buffer_is_given_back_after_the_flush() {
        let mut io = CoalescedIo::new(Recorder::default());
        io.write_all(&vec![0u8; KEPT_BYTES * 2])
            .await
            .expect("the write is taken");
        io.flush().await.expect("the flush completes");
        assert_eq!(io.buffer.capacity(), 0);
        io.write_all(&[1u8; 10]).await.expect("the write is taken");
        io.flush().await.expect("the flush completes");
        assert!(io.buffer.capacity() <= KEPT_BYTES);
    }

    #[tokio::test]
    async fn shutdown_writes_what_waits_and_reads_pass_through() {
        let (client, server) = tokio::io::duplex(1 << 20);
        let mut io = CoalescedIo::new(server);
        let mut client = client;
        io.write_all(b"answer").await.expect("the write is taken");
        io.shutdown().await.expect("the shutdown completes");
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.expect("the peer reads");
        assert_eq!(got, b"answer");
        client
            .write_all(b"question")
            .await
            .expect("the write is taken");
        let mut asked = [0u8; 8];
        io.read_exact(&mut asked)
            .await
            .expect("the read passes through");
        assert_eq!(&asked, b"question");
    }
}
