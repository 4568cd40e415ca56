#!/usr/bin/env python3
"""A small tradepact client in Python (grpcio).

It compiles the contract in ../../proto into a temporary directory with
grpc_tools.protoc (so it always speaks the API as it is in this checkout), then:

  1. lists Korea's agreements in force (ListAgreements, following page tokens)
     with their id, name and the date they entered into force (a
     google.type.Date at the precision the sources give);
  2. prints Korea–Cambodia trade (GetBilateralTrade KOR/KHM) as a table, once as
     Korea reports it (`years`) and once as Cambodia does (`mirror_years`);
  3. sends one deliberately bad request (ListAgreements with page_size -1) and
     prints the error details the server attaches to the INVALID_ARGUMENT
     status (google.rpc.ErrorInfo and google.rpc.BadRequest, read with
     grpc_status.rpc_status.from_call).

    python example.py --addr localhost:50051
    # read replicas behind a Kubernetes headless Service: every address the
    # name resolves to, calls spread with round_robin (deploy/REPLICAS.md)
    python example.py --addr dns:///tradepact-readers.default.svc.cluster.local:50051
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from pathlib import Path

import grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO_ROOT / "proto"
# google/type/date.proto, which the contract imports (vendored unchanged).
GOOGLEAPIS_ROOT = REPO_ROOT / "third_party" / "googleapis"
RPC_TIMEOUT_S = 10.0
# Small on purpose, so that the example really follows next_page_token.
PAGE_SIZE = 10


def load_stubs(out_dir: Path):
    """Generates the Python modules for every .proto under proto/tradepact/ and
    imports them.

    Only the tradepact files are generated. The Google types they import
    (google.type.Date; google.protobuf.Timestamp and Duration) resolve from
    third_party/googleapis and grpc_tools' own well-known types at compile
    time, and at run time from the googleapis-common-protos and protobuf
    packages: generating google/ modules into `out_dir` would shadow the
    installed `google` namespace package.
    """
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(
        str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "tradepact").rglob("*.proto")
    )
    if not protos:
        sys.exit(f"no .proto files under {PROTO_ROOT / 'tradepact'}")
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={GOOGLEAPIS_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        sys.exit(f"protoc failed: {' '.join(args)}")
    # Make tradepact/ and tradepact/v1/ regular packages so nothing else named
    # `tradepact` on sys.path can shadow them.
    for package_dir in {out_dir / Path(p).parent for p in protos}:
        while package_dir != out_dir:
            (package_dir / "__init__.py").touch()
            package_dir = package_dir.parent
    sys.path.insert(0, str(out_dir))
    names = ("agreements_pb2", "agreements_pb2_grpc", "trade_pb2", "trade_pb2_grpc")
    return {name: importlib.import_module(f"tradepact.v1.{name}") for name in names}


def format_date(date) -> str:
    """A google.type.Date at its precision: 2015-12-20, 2015-12, 2015, or
    'unknown' (tradepact leaves month and day 0 when the sources do not give
    them)."""
    if not date.year:
        return "unknown"
    if not date.month:
        return f"{date.year:04d}"
    if not date.day:
        return f"{date.year:04d}-{date.month:02d}"
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


def list_in_force(stubs, channel, party: str) -> None:
    pb, pb_grpc = stubs["agreements_pb2"], stubs["agreements_pb2_grpc"]
    service = pb_grpc.AgreementServiceStub(channel)
    request = pb.ListAgreementsRequest(
        party=party,
        status=pb.AGREEMENT_STATUS_IN_FORCE,
        page_size=PAGE_SIZE,
    )
    print(f"Agreements of {party} in force")
    count = 0
    while True:
        response = service.ListAgreements(request, timeout=RPC_TIMEOUT_S)
        for agreement in response.agreements:
            count += 1
            # status_since is the date of the event that put the agreement in
            # its current status: here, its entry into force.
            in_force = (
                format_date(agreement.status_since)
                if agreement.HasField("status_since")
                else "unknown"
            )
            print(f"  {agreement.id:<22} {in_force:<10}  {agreement.name}")
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    print(f"  ({count} agreements)")


def usd_million(trade_year, field: str) -> str:
    if not trade_year.HasField(field):
        return "-"
    return f"{getattr(trade_year, field) / 1e6:,.1f}"


def percent(trade_year, field: str) -> str:
    if not trade_year.HasField(field):
        return "-"
    return f"{getattr(trade_year, field):+.1f}%"


def print_trade_table(title: str, trade_years) -> None:
    header = ("year", "exports", "imports", "total", "growth", "reported_by")
    rows = [
        (
            str(y.year),
            usd_million(y, "exports_usd"),
            usd_million(y, "imports_usd"),
            usd_million(y, "total_usd"),
            percent(y, "total_growth_pct"),
            y.reported_by,
        )
        for y in trade_years
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(title)
    print("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths)))
    if not rows:
        print("  (no figures)")


def bilateral_trade(stubs, channel, reporter: str, partner: str) -> None:
    pb, pb_grpc = stubs["trade_pb2"], stubs["trade_pb2_grpc"]
    service = pb_grpc.TradeServiceStub(channel)
    response = service.GetBilateralTrade(
        pb.GetBilateralTradeRequest(reporter=reporter, partner=partner),
        timeout=RPC_TIMEOUT_S,
    )
    print(
        f"{reporter}–{partner} trade, US$ million "
        f"(exports = {reporter} → {partner}; growth = total vs the previous year)"
    )
    print_trade_table(f"as {reporter} reports it (years)", response.years)
    print_trade_table(f"as {partner} reports it (mirror_years)", response.mirror_years)


def print_error_details(error: grpc.RpcError) -> bool:
    """Prints the rich error details of a failed call: the google.rpc.Status in
    its `grpc-status-details-bin` trailer, whose `details` are Any messages.
    Returns False when the call carried none."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    print(f"  status: {error.code().name}: {error.details()}")
    # None when the server sent no details; the Status' code and message are
    # the call's own.
    status = rpc_status.from_call(error)
    if status is None:
        print("  (no error details)")
        return False
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            metadata = ", ".join(f"{k}={v}" for k, v in sorted(info.metadata.items()))
            print(f"  ErrorInfo: reason {info.reason}, domain {info.domain}, metadata {{{metadata}}}")
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            for violation in bad_request.field_violations:
                print(f"  BadRequest: field {violation.field}: {violation.description}")
        elif detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            resource = error_details_pb2.ResourceInfo()
            detail.Unpack(resource)
            print(f"  ResourceInfo: {resource.resource_type} {resource.resource_name!r}")
        else:
            # Unknown detail types are skipped, as clients should.
            print(f"  (a detail of type {detail.type_url})")
    return True


def bad_request(stubs, channel) -> bool:
    """Sends ListAgreements with a negative page size and prints the details
    of the INVALID_ARGUMENT answer. Returns False when the call did not fail
    with details."""
    pb, pb_grpc = stubs["agreements_pb2"], stubs["agreements_pb2_grpc"]
    service = pb_grpc.AgreementServiceStub(channel)
    print("Error details of a bad request (ListAgreements with page_size -1)")
    try:
        service.ListAgreements(pb.ListAgreementsRequest(page_size=-1), timeout=RPC_TIMEOUT_S)
    except grpc.RpcError as error:
        if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise
        return print_error_details(error)
    print("  the server accepted page_size -1")
    return False


def channel_options(addr: str, lb_policy: str) -> list[tuple[str, str]]:
    """The channel's load-balancing policy as a service config: round_robin
    opens a connection to every address the target resolves to and spreads
    the calls over them; pick_first (gRPC's default) uses one. "auto" is
    round_robin for a dns:/// target (a headless Service of read replicas)
    and gRPC's default for any other. `("grpc.lb_policy_name", "round_robin")`
    does the same in grpcio; a service config is what every gRPC language
    understands (grpc-js has no lb_policy_name)."""
    if lb_policy == "auto":
        if not addr.startswith("dns:"):
            return []
        lb_policy = "round_robin"
    service_config = {"loadBalancingConfig": [{lb_policy: {}}]}
    return [("grpc.service_config", json.dumps(service_config))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--addr",
        default="localhost:50051",
        help="tradepact address: host:port, or dns:///host:port for every address "
        "of a name (default: %(default)s)",
    )
    parser.add_argument(
        "--lb-policy",
        choices=("auto", "round_robin", "pick_first"),
        default="auto",
        help="load-balancing policy; auto: round_robin for a dns:/// address, "
        "gRPC's default otherwise (default: %(default)s)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tradepact-stubs-") as out_dir:
        stubs = load_stubs(Path(out_dir))
        options = channel_options(args.addr, args.lb_policy)
        with grpc.insecure_channel(args.addr, options=options) as channel:
            try:
                list_in_force(stubs, channel, "KOR")
                print()
                bilateral_trade(stubs, channel, "KOR", "KHM")
                print()
                if not bad_request(stubs, channel):
                    print(f"{args.addr}: no error details for a bad request", file=sys.stderr)
                    return 1
            except grpc.RpcError as error:
                print(f"{args.addr}: {error.code().name}: {error.details()}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
