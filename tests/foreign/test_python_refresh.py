"""End-to-end tests of tradepact.v1.RefreshService through grpcio.

The session server runs without a refresh worker and without an admin token
(conftest.py), so nothing here reaches a public host: the tests read the
change stream, which a fresh database may leave empty, and check how admin
calls are refused.
"""

from __future__ import annotations

import time

import grpc
import pytest
from grpc_status import rpc_status

RPC_TIMEOUT_S = 10.0
# WatchChanges: how long a test waits for the messages it expects.
STREAM_TIMEOUT_S = 15.0
ERROR_DOMAIN = "tradepact.dev"


@pytest.fixture(scope="session")
def channel(server_address):
    with grpc.insecure_channel(server_address) as ch:
        grpc.channel_ready_future(ch).result(timeout=RPC_TIMEOUT_S)
        yield ch


@pytest.fixture(scope="session")
def refresh(pb, channel):
    return pb.refresh_grpc.RefreshServiceStub(channel)


def expect_error(method, request, code: grpc.StatusCode, metadata=None) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as excinfo:
        method(request, timeout=RPC_TIMEOUT_S, metadata=metadata)
    error = excinfo.value
    assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()}"
    return error


def unpacked(pb, error: grpc.RpcError, name: str) -> list:
    """The error's google.rpc.<name> details, unpacked."""
    status = rpc_status.from_call(error)
    assert status is not None, f"{error.code().name} carried no grpc-status-details-bin"
    message_type = getattr(pb.error_details, name)
    found = []
    for detail in status.details:
        if detail.Is(message_type.DESCRIPTOR):
            message = message_type()
            detail.Unpack(message)
            found.append(message)
    return found


def watch(refresh, pb, **fields):
    """Opens WatchChanges with a deadline; returns the call (an iterator)."""
    return refresh.WatchChanges(
        pb.refresh.WatchChangesRequest(**fields), timeout=STREAM_TIMEOUT_S
    )


def kind_name(pb, message) -> str:
    return pb.refresh.WatchEventKind.Name(message.kind)


# --- WatchChanges --------------------------------------------------------------------


def test_watch_changes_replays_then_says_caught_up_then_heartbeats(refresh, pb):
    stream = watch(
        refresh, pb, after_seq=0, heartbeat_interval=pb.duration.Duration(seconds=1)
    )
    try:
        replayed = []
        caught_up = None
        for message in stream:
            if message.kind == pb.refresh.WATCH_EVENT_KIND_CAUGHT_UP:
                caught_up = message
                break
            # Before CAUGHT_UP only the replay (a fresh database may hold none).
            assert message.kind == pb.refresh.WATCH_EVENT_KIND_CHANGES, kind_name(pb, message)
            assert message.changes, "a CHANGES message without changes"
            replayed.extend(message.changes)
            assert message.resume_after_seq == message.changes[-1].seq
        assert caught_up is not None, "the stream ended before CAUGHT_UP"
        caught_up_at = time.monotonic()

        seqs = [change.seq for change in replayed]
        assert seqs == sorted(set(seqs)), f"replayed sequences out of order: {seqs}"
        assert all(seq > 0 for seq in seqs), seqs
        assert not caught_up.changes
        # Everything up to the newest replayed change has been sent (all of
        # them, from after_seq 0): resume from the last one, or 0 when none.
        assert caught_up.resume_after_seq == (seqs[-1] if seqs else 0)

        # No refresh runs, so nothing comes but heartbeats, about 1 s apart.
        heartbeat = next(stream)
        waited = time.monotonic() - caught_up_at
        assert heartbeat.kind == pb.refresh.WATCH_EVENT_KIND_HEARTBEAT, kind_name(pb, heartbeat)
        assert not heartbeat.changes
        assert heartbeat.resume_after_seq == caught_up.resume_after_seq
        assert 0.5 <= waited <= 5.0, f"first heartbeat after {waited:.2f} s (interval 1 s)"
    finally:
        stream.cancel()


def test_watch_changes_resumes_from_where_it_caught_up(refresh, pb):
    """Resuming from the caught-up point replays nothing and catches up again."""
    first = watch(refresh, pb, after_seq=0)
    try:
        caught_up = next(m for m in first if m.kind == pb.refresh.WATCH_EVENT_KIND_CAUGHT_UP)
    finally:
        first.cancel()

    resumed = watch(refresh, pb, after_seq=caught_up.resume_after_seq)
    try:
        message = next(resumed)
    finally:
        resumed.cancel()
    assert message.kind == pb.refresh.WATCH_EVENT_KIND_CAUGHT_UP, kind_name(pb, message)
    assert message.resume_after_seq == caught_up.resume_after_seq


def test_watch_changes_beyond_the_newest_change_is_out_of_range(refresh, pb):
    stream = watch(refresh, pb, after_seq=1_000_000_000)
    with pytest.raises(grpc.RpcError) as excinfo:
        next(stream)
    error = excinfo.value
    assert error.code() == grpc.StatusCode.OUT_OF_RANGE, error.details()
    [info] = unpacked(pb, error, "ErrorInfo")
    assert info.domain == ERROR_DOMAIN
    assert info.reason == "RESUME_POINT_UNAVAILABLE"
    assert {"oldest_seq", "newest_seq"} <= set(info.metadata), dict(info.metadata)
    assert int(info.metadata["newest_seq"]) < 1_000_000_000


@pytest.mark.parametrize(
    "interval",
    [{"nanos": 500_000_000}, {"seconds": 3601}],
    ids=["half-a-second", "over-an-hour"],
)
def test_watch_changes_heartbeat_interval_must_lie_within_1s_and_1h(refresh, pb, interval):
    stream = watch(refresh, pb, after_seq=0, heartbeat_interval=pb.duration.Duration(**interval))
    with pytest.raises(grpc.RpcError) as excinfo:
        next(stream)
    error = excinfo.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    [bad_request] = unpacked(pb, error, "BadRequest")
    assert [v.field for v in bad_request.field_violations] == ["heartbeat_interval"]


def test_watch_changes_of_an_unknown_source_is_invalid(refresh, pb):
    stream = watch(refresh, pb, after_seq=0, source="no-such-source")
    with pytest.raises(grpc.RpcError) as excinfo:
        next(stream)
    error = excinfo.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    [info] = unpacked(pb, error, "ErrorInfo")
    assert info.reason == "UNKNOWN_SOURCE"


# --- runs and admin calls ------------------------------------------------------------


def test_get_refresh_run_of_an_id_never_issued_is_not_found(refresh, pb):
    expect_error(
        refresh.GetRefreshRun,
        pb.refresh.GetRefreshRunRequest(id=999_999),
        grpc.StatusCode.NOT_FOUND,
    )


def test_get_refresh_run_needs_an_id(refresh, pb):
    error = expect_error(
        refresh.GetRefreshRun,
        pb.refresh.GetRefreshRunRequest(id=0),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    [bad_request] = unpacked(pb, error, "BadRequest")
    assert [v.field for v in bad_request.field_violations] == ["id"]


def test_trigger_refresh_is_permission_denied_without_a_configured_token(refresh, pb):
    """The session server has no admin token: admin calls are disabled, and
    PERMISSION_DENIED is documented for exactly that, token or not."""
    request = pb.refresh.TriggerRefreshRequest(source="worldbank")
    expect_error(refresh.TriggerRefresh, request, grpc.StatusCode.PERMISSION_DENIED)
    expect_error(
        refresh.TriggerRefresh,
        request,
        grpc.StatusCode.PERMISSION_DENIED,
        metadata=[("authorization", "Bearer guess")],
    )


@pytest.mark.parametrize(
    "metadata",
    [None, [("authorization", "Bearer wrong-token")], [("authorization", "secret-token")]],
    ids=["missing", "wrong", "not-bearer"],
)
def test_trigger_refresh_is_unauthenticated_without_the_right_token(
    pb, tmp_path, metadata
):
    """With a token configured, a missing or wrong one is UNAUTHENTICATED (and
    nothing runs: ListRefreshRuns stays empty)."""
    from conftest import running_server

    flags = ["--metrics-listen", "off", "--admin-token", "secret-token"]
    with running_server(tmp_path, flags) as server:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb.refresh_grpc.RefreshServiceStub(channel)
            expect_error(
                stub.TriggerRefresh,
                pb.refresh.TriggerRefreshRequest(source="worldbank"),
                grpc.StatusCode.UNAUTHENTICATED,
                metadata=metadata,
            )
            runs = stub.ListRefreshRuns(
                pb.refresh.ListRefreshRunsRequest(), timeout=RPC_TIMEOUT_S
            )
            assert not runs.runs, runs


def test_list_sources_names_each_source_with_a_max_age(refresh, pb):
    response = refresh.ListSources(pb.refresh.ListSourcesRequest(), timeout=RPC_TIMEOUT_S)

    names = [s.name for s in response.sources]
    assert names, "no sources"
    assert len(names) == len(set(names)), names
    for source in response.sources:
        assert source.HasField("max_age"), source.name
        assert source.max_age.ToTimedelta().total_seconds() > 0, source.name
        # The worker is off and the database fresh: nothing ran, nothing is scheduled.
        assert not source.HasField("last_run"), source.name
        assert not source.HasField("last_success_time"), source.name
        assert not source.HasField("next_run_time"), source.name
