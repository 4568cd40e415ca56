"""End-to-end tests through the official Python gRPC client (grpcio).

Stubs are generated at test time from `proto/` with grpc_tools.protoc, so the
tests always speak the contract as it is in the repository. Each test asks one
of the questions tradepact is designed to answer and checks the answer against
the facts in the built-in dataset (data/builtin.toml).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

PROTO_ROOT = Path(__file__).resolve().parents[2] / "proto"
RPC_TIMEOUT_S = 10.0
MAX_PAGES = 1000


# --- stubs and channel ---------------------------------------------------------


def generate_stubs(out_dir: Path) -> None:
    """Compiles every .proto under proto/ into Python modules in `out_dir`."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    assert protos, f"no .proto files under {PROTO_ROOT}"
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    assert protoc.main(args) == 0, f"protoc failed: {' '.join(args)}"
    # Regular packages, so nothing else named `tradepact` on sys.path can shadow them.
    for package_dir in {out_dir / Path(p).parent for p in protos}:
        while package_dir != out_dir:
            (package_dir / "__init__.py").touch()
            package_dir = package_dir.parent


@pytest.fixture(scope="session")
def pb(tmp_path_factory):
    """The generated message and stub modules, as `pb.agreements`, `pb.agreements_grpc`, ..."""
    out_dir = tmp_path_factory.mktemp("stubs")
    generate_stubs(out_dir)
    sys.path.insert(0, str(out_dir))
    try:
        modules = {
            name: importlib.import_module(f"tradepact.v1.{name}_pb2")
            for name in ("common", "agreements", "trade", "indicators")
        }
        grpc_modules = {
            f"{name}_grpc": importlib.import_module(f"tradepact.v1.{name}_pb2_grpc")
            for name in ("agreements", "trade", "indicators")
        }
        yield SimpleNamespace(**modules, **grpc_modules)
    finally:
        sys.path.remove(str(out_dir))


@pytest.fixture(scope="session")
def channel(server_address):
    with grpc.insecure_channel(server_address) as ch:
        grpc.channel_ready_future(ch).result(timeout=RPC_TIMEOUT_S)
        yield ch


@pytest.fixture(scope="session")
def agreements(pb, channel):
    return pb.agreements_grpc.AgreementServiceStub(channel)


@pytest.fixture(scope="session")
def trade(pb, channel):
    return pb.trade_grpc.TradeServiceStub(channel)


@pytest.fixture(scope="session")
def indicators(pb, channel):
    return pb.indicators_grpc.IndicatorServiceStub(channel)


@pytest.fixture(scope="session")
def health(channel):
    return health_pb2_grpc.HealthStub(channel)


# --- helpers ---------------------------------------------------------------------


def call(method, request):
    """Calls a unary RPC with a deadline."""
    return method(request, timeout=RPC_TIMEOUT_S)


def expect_error(method, request, code: grpc.StatusCode) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as excinfo:
        call(method, request)
    error = excinfo.value
    assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()}"
    return error


def ymd(date) -> tuple[int, int, int]:
    return (date.year, date.month, date.day)


def list_pages(agreements, pb, **filters) -> list[list[str]]:
    """Walks every page of ListAgreements; returns the agreement ids page by page."""
    pages: list[list[str]] = []
    token = ""
    while len(pages) < MAX_PAGES:
        response = call(
            agreements.ListAgreements,
            pb.agreements.ListAgreementsRequest(page_token=token, **filters),
        )
        pages.append([a.id for a in response.agreements])
        token = response.next_page_token
        if not token:
            return pages
    pytest.fail(f"ListAgreements still had a next_page_token after {MAX_PAGES} pages")


def list_ids(agreements, pb, **filters) -> list[str]:
    """The ids of every agreement ListAgreements returns, across all pages."""
    return [id_ for page in list_pages(agreements, pb, **filters) for id_ in page]


def by_year(trade_years) -> dict[int, object]:
    years = [y.year for y in trade_years]
    assert len(years) == len(set(years)), f"a year appears twice: {years}"
    return {y.year: y for y in trade_years}


# --- agreements ----------------------------------------------------------------


def test_korea_cambodia_fta_is_in_force_since_2022_12_01(agreements, pb):
    agreement = call(agreements.GetAgreement, pb.agreements.GetAgreementRequest(id="kor-khm"))

    assert agreement.id == "kor-khm"
    assert agreement.status == pb.agreements.AGREEMENT_STATUS_IN_FORCE
    assert ymd(agreement.status_since) == (2022, 12, 1)
    assert {"KOR", "KHM"} <= set(agreement.parties)


def test_korea_cambodia_fta_was_being_negotiated_on_2020_10_06(agreements, pb):
    as_of = pb.common.Date(year=2020, month=10, day=6)
    agreement = call(
        agreements.GetAgreement, pb.agreements.GetAgreementRequest(id="kor-khm", as_of=as_of)
    )

    assert agreement.status == pb.agreements.AGREEMENT_STATUS_NEGOTIATING
    assert agreement.events, "the history up to 2020-10-06 should not be empty"
    # Dates may be imprecise (month/day 0): such a date counts from its first day.
    late = [
        (pb.agreements.EventKind.Name(e.kind), ymd(e.start))
        for e in agreement.events
        if ymd(e.start) > ymd(as_of)
    ]
    assert not late, f"events after 2020-10-06 in the as-of view: {late}"
    assert ymd(agreement.status_since) <= ymd(as_of)


def test_korea_cambodia_fta_had_four_virtual_rounds(agreements, pb):
    response = call(
        agreements.ListNegotiationRounds,
        pb.agreements.ListNegotiationRoundsRequest(agreement_id="kor-khm"),
    )
    rounds = list(response.rounds)

    assert [r.round_number for r in rounds] == [1, 2, 3, 4]
    for r in rounds:
        assert r.kind == pb.agreements.EVENT_KIND_ROUND
        assert r.format == pb.agreements.MEETING_FORMAT_VIRTUAL, f"round {r.round_number}"
    assert [(ymd(r.start), ymd(r.end)) for r in rounds] == [
        ((2020, 7, 30), (2020, 7, 31)),
        ((2020, 8, 31), (2020, 9, 3)),
        ((2020, 10, 6), (2020, 10, 8)),
        ((2020, 11, 18), (2020, 11, 20)),
    ]
    # Round 2: Yonhap / Korea Herald give Aug 31 - Sep 2 instead of Sep 3.
    round_2_conflict_ends = [ymd(c.end) for c in rounds[1].conflicts]
    assert (2020, 9, 2) in round_2_conflict_ends


def test_korea_in_force_agreements_include_cambodia_chile_and_us(agreements, pb):
    ids = list_ids(agreements, pb, party="KOR", status=pb.agreements.AGREEMENT_STATUS_IN_FORCE)

    assert {"kor-khm", "kor-chl", "kor-usa"} <= set(ids)


def test_korea_was_negotiating_with_cambodia_and_the_philippines_on_2020_10_05(agreements, pb):
    ids = list_ids(
        agreements,
        pb,
        party="KOR",
        status=pb.agreements.AGREEMENT_STATUS_NEGOTIATING,
        as_of=pb.common.Date(year=2020, month=10, day=5),
    )

    # Malaysia (kor-mys) was stalled but never formally suspended, so it is not checked.
    assert {"kor-khm", "kor-phl"} <= set(ids)
    assert "kor-usa" not in ids  # in force since 2012


def test_list_agreements_pages_cover_the_unpaged_list_exactly(agreements, pb):
    unpaged = call(
        agreements.ListAgreements, pb.agreements.ListAgreementsRequest(page_size=1000)
    )
    assert not unpaged.next_page_token
    unpaged_ids = [a.id for a in unpaged.agreements]
    assert len(unpaged_ids) > 5, "need more than one page of 5 to test paging"

    pages = list_pages(agreements, pb, page_size=5)
    paged_ids = [id_ for page in pages for id_ in page]

    assert all(len(page) <= 5 for page in pages), [len(page) for page in pages]
    assert len(pages) > 1
    assert len(paged_ids) == len(set(paged_ids)), f"duplicates across pages: {paged_ids}"
    assert paged_ids == unpaged_ids


def test_list_agreements_rejects_negative_page_size(agreements, pb):
    error = expect_error(
        agreements.ListAgreements,
        pb.agreements.ListAgreementsRequest(page_size=-1),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "page_size" in error.details()


# --- trade -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def korea_cambodia_trade(trade, pb):
    return call(
        trade.GetBilateralTrade,
        pb.trade.GetBilateralTradeRequest(
            reporter="kor", partner="khm", start_year=2018, end_year=2021
        ),
    )


def test_korea_reports_2019_trade_with_cambodia_of_1_03_billion(korea_cambodia_trade):
    years = by_year(korea_cambodia_trade.years)
    assert set(years) <= set(range(2018, 2022))
    y2019 = years[2019]

    assert y2019.reported_by == "KOR"
    for field in ("total_usd", "exports_usd", "imports_usd", "total_growth_pct"):
        assert y2019.HasField(field), f"2019 {field} is not set"
    assert y2019.total_usd == pytest.approx(1_033e6, rel=1e-9)
    assert y2019.exports_usd == pytest.approx(697e6, rel=1e-9)
    assert y2019.imports_usd == pytest.approx(336e6, rel=1e-9)
    assert y2019.total_growth_pct == pytest.approx(6.06, abs=0.1)
    assert y2019.HasField("exports_growth_pct")
    assert y2019.exports_growth_pct == pytest.approx(5.6, abs=0.1)


def test_cambodia_reports_2019_trade_with_korea_of_881_76_million(korea_cambodia_trade):
    mirror = by_year(korea_cambodia_trade.mirror_years)
    y2019 = mirror[2019]

    assert y2019.reported_by == "KHM"
    assert y2019.HasField("total_usd")
    assert y2019.total_usd == pytest.approx(881.76e6, rel=1e-9)


def test_every_trade_year_cites_a_source_with_a_url(korea_cambodia_trade):
    all_years = [*korea_cambodia_trade.years, *korea_cambodia_trade.mirror_years]
    assert all_years
    for year in all_years:
        urls = [s.url for s in year.sources if s.url]
        assert urls, f"{year.reported_by} {year.year} has no source with a url"


def test_cambodia_was_koreas_58th_export_destination_in_2019(trade, pb):
    response = call(
        trade.RankPartners,
        pb.trade.RankPartnersRequest(
            reporter="KOR", year=2019, flow=pb.trade.TRADE_FLOW_EXPORT, partner="KHM"
        ),
    )

    assert response.quoted
    assert response.entries, "no rank entry for KHM"
    assert response.entries[0].partner == "KHM"
    assert response.entries[0].rank == 58


def test_china_and_us_took_about_40_percent_of_korean_exports_in_2019(trade, pb):
    response = call(
        trade.RankPartners,
        pb.trade.RankPartnersRequest(
            reporter="KOR", year=2019, flow=pb.trade.TRADE_FLOW_EXPORT, partner="CHN+USA"
        ),
    )

    assert response.HasField("combined_share_pct")
    assert response.combined_share_pct == pytest.approx(40, abs=1)


def test_korea_mainly_exports_trucks_drinks_and_textiles_to_cambodia(trade, pb):
    response = call(
        trade.GetProductBreakdown,
        pb.trade.GetProductBreakdownRequest(
            reporter="KOR", partner="KHM", year=2019, flow=pb.trade.TRADE_FLOW_EXPORT
        ),
    )

    assert response.quoted
    assert [p.description for p in response.products] == ["Cargo trucks", "Drinks", "Textiles"]


# --- indicators ------------------------------------------------------------------

GDP_GROWTH = "NY.GDP.MKTP.KD.ZG"


def test_cambodia_gdp_growth_2011_to_2019_latest_vintage(indicators, pb):
    response = call(
        indicators.GetIndicatorSeries,
        pb.indicators.GetIndicatorSeriesRequest(
            economy="KHM", indicator=GDP_GROWTH, start_year=2011, end_year=2019
        ),
    )
    points = {p.year: p for p in response.points}

    assert [p.year for p in response.points] == list(range(2011, 2020))
    missing = [year for year, p in points.items() if not p.HasField("value")]
    assert not missing, f"years without a value: {missing}"
    assert points[2011].value == pytest.approx(7.07, abs=0.01)


def test_cambodia_gdp_growth_as_published_on_2017_04_27(indicators, pb):
    response = call(
        indicators.GetIndicatorSeries,
        pb.indicators.GetIndicatorSeriesRequest(
            economy="KHM",
            indicator=GDP_GROWTH,
            start_year=2011,
            end_year=2019,
            vintage="2017-04-27",
        ),
    )
    points = {p.year: p for p in response.points}

    assert [p.year for p in response.points] == list(range(2011, 2016))
    assert points[2015].HasField("value")
    assert points[2015].value == pytest.approx(7.0361, abs=1e-4)
    assert "2017-04-27" in response.vintages


# --- bad input -------------------------------------------------------------------


def test_empty_agreement_id_is_invalid(agreements, pb):
    error = expect_error(
        agreements.GetAgreement,
        pb.agreements.GetAgreementRequest(id=""),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "id" in error.details()


def test_unknown_agreement_is_not_found(agreements, pb):
    expect_error(
        agreements.GetAgreement,
        pb.agreements.GetAgreementRequest(id="kor-xyz"),
        grpc.StatusCode.NOT_FOUND,
    )


def test_reversed_year_range_is_invalid(trade, pb):
    error = expect_error(
        trade.GetBilateralTrade,
        pb.trade.GetBilateralTradeRequest(
            reporter="KOR", partner="KHM", start_year=2020, end_year=2010
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "start_year" in error.details() or "end_year" in error.details()


# --- health ----------------------------------------------------------------------


@pytest.mark.parametrize("service", ["", "tradepact.v1.AgreementService"])
def test_health_check_reports_serving(health, service):
    response = call(health.Check, health_pb2.HealthCheckRequest(service=service))

    assert response.status == health_pb2.HealthCheckResponse.SERVING


# --- the answer cache, as grpcio meets it ------------------------------------------


def scraped(metrics: str, series: str) -> float:
    """The value of one series on the metrics endpoint; 0 when it is absent."""
    from urllib.request import urlopen

    with urlopen(f"http://{metrics}/metrics", timeout=RPC_TIMEOUT_S) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


CACHED = 'tradepact_grpc_cached_answers_total{method="/tradepact.v1.AgreementService/GetAgreement"}'
GZIPPED = 'tradepact_grpc_answer_compressions_total{encoding="gzip"}'


@pytest.mark.parametrize("compression", ["off", "gzip"])
def test_grpcio_asking_again_is_answered_from_the_cache(pb, tmp_path, compression):
    """grpcio offers gzip on every call. With compression off (the default) a
    repeated question is served from the cache with no compression work; with
    it on, the answer is compressed once and then served compressed from the
    cache."""
    from conftest import metrics_address, running_server

    flags = ["--metrics-listen", "127.0.0.1:0", "--compress-answers", compression]
    with running_server(tmp_path, flags) as server:
        metrics = metrics_address(server)
        with grpc.insecure_channel(server.address) as channel:
            stub = pb.agreements_grpc.AgreementServiceStub(channel)
            request = pb.agreements.GetAgreementRequest(id="kor-khm")
            answers = [stub.GetAgreement(request, timeout=RPC_TIMEOUT_S) for _ in range(3)]
        assert answers[0].id == "kor-khm" and answers[0].events
        assert answers[1] == answers[0] and answers[2] == answers[0]
        assert scraped(metrics, CACHED) == 2
        assert scraped(metrics, GZIPPED) == (0 if compression == "off" else 1)
