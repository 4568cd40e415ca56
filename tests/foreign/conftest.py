"""Starts the real tradepact server once per test session for the foreign clients.

The server is `target/debug/tradepact` (built by `cargo test` / `cargo build`). It
gets a fresh database and ready file in a temporary directory; the fixture waits
for the ready file, which holds the bound address, and hands that address to the
tests. At the end of the session the server is sent SIGTERM and must exit 0.
Its output goes to a log file that is shown when a test or the fixture fails.

It also compiles the contract for the Python tests (`pb`): only
proto/tradepact/**.proto are generated, with proto/, third_party/googleapis and
grpc_tools' well-known types on the import path; the Google modules the
generated code imports (google.type.date_pb2, google.rpc.*,
google.protobuf.*) come from the installed googleapis-common-protos and
protobuf packages.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_BINARY = REPO_ROOT / "target" / "debug" / "tradepact"
PROTO_ROOT = REPO_ROOT / "proto"
# The Google API files the contract imports, vendored unchanged.
GOOGLEAPIS_ROOT = REPO_ROOT / "third_party" / "googleapis"
# The tradepact modules, as `pb.<name>` and `pb.<name>_grpc`.
PROTO_MODULES = ("common", "agreements", "trade", "indicators", "refresh")

READY_TIMEOUT_S = 30.0
READY_POLL_INTERVAL_S = 0.05
SHUTDOWN_TIMEOUT_S = 10.0

_SERVER_KEY = pytest.StashKey["RunningServer"]()


@dataclass
class RunningServer:
    process: subprocess.Popen
    address: str
    log_path: Path

    def log(self) -> str:
        return read_log(self.log_path)


def read_log(log_path: Path) -> str:
    try:
        return log_path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no server output captured)"


def _fail_with_log(message: str, log_path: Path) -> None:
    pytest.fail(
        f"{message}\n--- tradepact server output ({log_path}) ---\n{read_log(log_path)}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen) -> int | None:
    """SIGTERM, then wait; returns the exit code or None if it did not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def _wait_for_ready_file(
    process: subprocess.Popen, ready_file: Path, log_path: Path
) -> str:
    """Polls (bounded) until the server has written its address to `ready_file`."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if ready_file.exists():
            address = ready_file.read_text().strip()
            if address:
                return address
        code = process.poll()
        if code is not None:
            _fail_with_log(
                f"tradepact server exited with code {code} before it was ready", log_path
            )
        time.sleep(READY_POLL_INTERVAL_S)
    _stop(process)
    _fail_with_log(
        f"tradepact server did not write its ready file {ready_file} "
        f"within {READY_TIMEOUT_S:.0f} s",
        log_path,
    )
    raise AssertionError("unreachable")


@contextmanager
def running_server(workdir: Path, extra_args: list[str]):
    """The real server on a fresh database in `workdir`, with `extra_args`;
    stopped with SIGTERM at the end, which it must survive with exit 0."""
    if not SERVER_BINARY.is_file():
        pytest.fail(
            f"server binary {SERVER_BINARY} is missing: build it first "
            "(`cargo build` or `cargo test`), e.g. by running scripts/test",
            pytrace=False,
        )

    db_path = workdir / "tradepact.db"
    ready_file = workdir / "ready"
    log_path = workdir / "server.log"

    # None of the caller's TRADEPACT_* settings reach the server: it runs on
    # exactly the flags below.
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRADEPACT_")}
    env["TRADEPACT_LOG"] = "info"
    env.setdefault("NO_COLOR", "1")  # plain text in the captured log
    command = [
        str(SERVER_BINARY),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--db",
        str(db_path),
        "--ready-file",
        str(ready_file),
        # No refresh worker: a test never reaches a public host. The refresh
        # worker has its own tests against local upstreams.
        "--refresh",
        "false",
        *extra_args,
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )

    try:
        address = _wait_for_ready_file(process, ready_file, log_path)
        yield RunningServer(process=process, address=address, log_path=log_path)
    finally:
        code = _stop(process)

    if code is None:
        _fail_with_log(
            f"tradepact server did not exit within {SHUTDOWN_TIMEOUT_S:.0f} s of SIGTERM "
            "(killed)",
            log_path,
        )
    if code != 0:
        _fail_with_log(f"tradepact server exited with code {code} after SIGTERM", log_path)


# --- generated Python modules ------------------------------------------------------


def generate_stubs(out_dir: Path) -> list[str]:
    """Compiles proto/tradepact/**.proto into Python modules in `out_dir`.

    Only the tradepact files: generating google/ modules here would shadow the
    installed `google` namespace package (googleapis-common-protos, protobuf).
    Returns the compiled files.
    """
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(
        str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "tradepact").rglob("*.proto")
    )
    assert protos, f"no .proto files under {PROTO_ROOT / 'tradepact'}"
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={GOOGLEAPIS_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    assert protoc.main(args) == 0, f"protoc failed: {' '.join(args)}"
    generated_top = sorted(p.name for p in out_dir.iterdir())
    assert generated_top == ["tradepact"], f"protoc generated more than tradepact/: {generated_top}"
    # Regular packages, so nothing else named `tradepact` on sys.path can shadow them.
    for package_dir in {out_dir / Path(p).parent for p in protos}:
        while package_dir != out_dir:
            (package_dir / "__init__.py").touch()
            package_dir = package_dir.parent
    return protos


@pytest.fixture(scope="session")
def pb(tmp_path_factory):
    """The generated modules: `pb.agreements`, `pb.agreements_grpc`, ... for each
    of PROTO_MODULES, and the Google ones the contract uses: `pb.date`
    (google.type), `pb.error_details` and `pb.status` (google.rpc),
    `pb.duration` (google.protobuf)."""
    from google.protobuf import duration_pb2
    from google.rpc import error_details_pb2, status_pb2
    from google.type import date_pb2

    out_dir = tmp_path_factory.mktemp("stubs")
    generate_stubs(out_dir)
    sys.path.insert(0, str(out_dir))
    try:
        modules = {
            name: importlib.import_module(f"tradepact.v1.{name}_pb2") for name in PROTO_MODULES
        }
        grpc_modules = {
            f"{name}_grpc": importlib.import_module(f"tradepact.v1.{name}_pb2_grpc")
            for name in PROTO_MODULES
        }
        yield SimpleNamespace(
            **modules,
            **grpc_modules,
            date=date_pb2,
            error_details=error_details_pb2,
            status=status_pb2,
            duration=duration_pb2,
        )
    finally:
        sys.path.remove(str(out_dir))


# --- the server -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def tradepact_server(tmp_path_factory, pytestconfig) -> RunningServer:
    """The running server; its `address` is `host:port`."""
    workdir = tmp_path_factory.mktemp("tradepact-server")
    with running_server(workdir, ["--metrics-listen", "off"]) as server:
        pytestconfig.stash[_SERVER_KEY] = server
        try:
            yield server
        finally:
            del pytestconfig.stash[_SERVER_KEY]


def metrics_address(server: RunningServer) -> str:
    """The metrics endpoint's bound address, from the server's "serving" log line."""
    match = re.search(r"metrics=(\S+)", server.log())
    if match is None or match.group(1) == "off":
        _fail_with_log("the server logged no metrics address", server.log_path)
    return match.group(1)


@pytest.fixture(scope="session")
def server_address(tradepact_server: RunningServer) -> str:
    return tradepact_server.address


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches the server's output to the report of every failing test."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        server = item.config.stash.get(_SERVER_KEY, None)
        if server is not None:
            report.sections.append(("tradepact server output", server.log()))
