"""End-to-end tests through the official Python gRPC client (grpcio).

Stubs are generated at test time from `proto/` with grpc_tools.protoc (the `pb`
fixture in conftest.py), so the tests always speak the contract as it is in
the repository. Each test asks one of the questions tradepact is designed to
answer and checks the answer against the facts in the built-in dataset
(data/builtin.toml). Error details (google.rpc.Status in the
`grpc-status-details-bin` trailer) are read with grpc_status, as a client would.
"""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

RPC_TIMEOUT_S = 10.0
MAX_PAGES = 1000
ERROR_DOMAIN = "tradepact.dev"


# --- stubs and channel ---------------------------------------------------------


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


def error_details(pb, error: grpc.RpcError) -> dict[str, list]:
    """The error's google.rpc.Status details, unpacked, by message name
    ("ErrorInfo", "BadRequest", "ResourceInfo", ...). Fails when the error
    carried no Status."""
    status = rpc_status.from_call(error)
    assert status is not None, (
        f"{error.code().name} ({error.details()}) carried no grpc-status-details-bin"
    )
    assert status.code == error.code().value[0]
    assert status.message == error.details()
    known = {
        name: getattr(pb.error_details, name)
        for name in ("ErrorInfo", "BadRequest", "ResourceInfo", "PreconditionFailure")
    }
    details: dict[str, list] = {}
    for any_detail in status.details:
        for name, message_type in known.items():
            if any_detail.Is(message_type.DESCRIPTOR):
                message = message_type()
                assert any_detail.Unpack(message)
                details.setdefault(name, []).append(message)
                break
        else:
            details.setdefault(any_detail.type_url, []).append(any_detail)
    return details


def error_info(pb, error: grpc.RpcError):
    """The one google.rpc.ErrorInfo of an error; its domain is tradepact's."""
    details = error_details(pb, error)
    infos = details.get("ErrorInfo", [])
    assert len(infos) == 1, f"expected one ErrorInfo, got {details}"
    assert infos[0].domain == ERROR_DOMAIN
    return infos[0]


def violated_fields(pb, error: grpc.RpcError) -> list[str]:
    """The request fields named by the error's google.rpc.BadRequest."""
    details = error_details(pb, error)
    requests = details.get("BadRequest", [])
    assert len(requests) == 1, f"expected one BadRequest, got {details}"
    violations = requests[0].field_violations
    assert all(v.description for v in violations), f"a violation without description: {violations}"
    return [v.field for v in violations]


def ymd(date) -> tuple[int, int, int]:
    return (date.year, date.month, date.day)


def list_pages(agreements, pb, **filters) -> list:
    """Walks every page of ListAgreements; returns the responses."""
    pages = []
    token = ""
    while len(pages) < MAX_PAGES:
        response = call(
            agreements.ListAgreements,
            pb.agreements.ListAgreementsRequest(page_token=token, **filters),
        )
        pages.append(response)
        token = response.next_page_token
        if not token:
            return pages
    pytest.fail(f"ListAgreements still had a next_page_token after {MAX_PAGES} pages")


def list_ids(agreements, pb, **filters) -> list[str]:
    """The ids of every agreement ListAgreements returns, across all pages."""
    return [a.id for page in list_pages(agreements, pb, **filters) for a in page.agreements]


def by_year(trade_years) -> dict[int, object]:
    years = [y.year for y in trade_years]
    assert len(years) == len(set(years)), f"a year appears twice: {years}"
    return {y.year: y for y in trade_years}


def parties(pb, agreement_or_event_parties) -> list[tuple[str, str]]:
    return [(p.code, pb.common.PartyKind.Name(p.kind)) for p in agreement_or_event_parties]


# --- agreements ----------------------------------------------------------------


def test_korea_cambodia_fta_is_in_force_since_2022_12_01(agreements, pb):
    agreement = call(agreements.GetAgreement, pb.agreements.GetAgreementRequest(id="kor-khm"))

    assert agreement.id == "kor-khm"
    assert agreement.designation == "FTA"
    assert pb.agreements.AGREEMENT_KIND_FREE_TRADE_AGREEMENT in agreement.kinds
    assert agreement.status == pb.agreements.AGREEMENT_STATUS_IN_FORCE
    assert agreement.HasField("status_since")
    assert ymd(agreement.status_since) == (2022, 12, 1)
    assert parties(pb, agreement.parties) == [
        ("KOR", "PARTY_KIND_ECONOMY"),
        ("KHM", "PARTY_KIND_ECONOMY"),
    ]


def test_korea_eu_fta_has_a_group_party(agreements, pb):
    agreement = call(agreements.GetAgreement, pb.agreements.GetAgreementRequest(id="kor-eu"))

    assert parties(pb, agreement.parties) == [
        ("KOR", "PARTY_KIND_ECONOMY"),
        ("EU", "PARTY_KIND_GROUP"),
    ]


@pytest.mark.parametrize(
    ("as_of", "status", "since"),
    [
        ((2013, 1, 1), "AGREEMENT_STATUS_PROVISIONALLY_APPLIED", (2011, 7, 1)),
        ((2016, 1, 1), "AGREEMENT_STATUS_IN_FORCE", (2015, 12, 13)),
    ],
)
def test_korea_eu_fta_was_provisionally_applied_before_entering_into_force(
    agreements, pb, as_of, status, since
):
    agreement = call(
        agreements.GetAgreement,
        pb.agreements.GetAgreementRequest(
            id="kor-eu", as_of=pb.date.Date(year=as_of[0], month=as_of[1], day=as_of[2])
        ),
    )

    assert pb.agreements.AgreementStatus.Name(agreement.status) == status
    assert ymd(agreement.status_since) == since


def test_korea_cambodia_fta_was_being_negotiated_on_2020_10_06(agreements, pb):
    as_of = pb.date.Date(year=2020, month=10, day=6)
    agreement = call(
        agreements.GetAgreement, pb.agreements.GetAgreementRequest(id="kor-khm", as_of=as_of)
    )

    assert agreement.status == pb.agreements.AGREEMENT_STATUS_NEGOTIATING
    assert agreement.events, "the history up to 2020-10-06 should not be empty"
    # Dates may be imprecise (month/day 0): such a date counts from its first day.
    late = [
        (pb.agreements.EventKind.Name(e.kind), ymd(e.start))
        for e in agreement.events
        if e.HasField("start") and ymd(e.start) > ymd(as_of)
    ]
    assert not late, f"events after 2020-10-06 in the as-of view: {late}"
    assert ymd(agreement.status_since) <= ymd(as_of)


def test_ratifications_name_their_party_and_other_events_none(agreements, pb):
    agreement = call(agreements.GetAgreement, pb.agreements.GetAgreementRequest(id="kor-khm"))

    ratified = [
        (ymd(e.start), parties(pb, [e.party]))
        for e in agreement.events
        if e.kind == pb.agreements.EVENT_KIND_RATIFIED
    ]
    assert ratified == [
        ((2021, 12, 29), [("KHM", "PARTY_KIND_ECONOMY")]),
        ((2022, 9, 27), [("KOR", "PARTY_KIND_ECONOMY")]),
    ]
    launched = [e for e in agreement.events if e.kind == pb.agreements.EVENT_KIND_LAUNCHED]
    assert len(launched) == 1
    assert not launched[0].HasField("party")
    assert not launched[0].HasField("round_number")


def test_sources_carry_their_publish_date_and_no_retrieve_time(agreements, pb):
    agreement = call(agreements.GetAgreement, pb.agreements.GetAgreementRequest(id="kor-khm"))
    sources = {
        s.url: s
        for s in [*agreement.sources, *(s for e in agreement.events for s in e.sources)]
    }

    # published = "2020-10-05" in the dataset.
    herald = sources["http://www.koreaherald.com/view.php?ud=20201005000387"]
    assert herald.HasField("publish_date")
    assert ymd(herald.publish_date) == (2020, 10, 5)
    # No `published` in the dataset: unset, not an all-zero date.
    envoy = sources[
        "https://phnompenhpost.com/national/new-south-korean-envoy-pays-courtesy-visit-senate-leader"
    ]
    assert not envoy.HasField("publish_date")
    # Facts compiled by hand into the built-in dataset were never retrieved.
    retrieved = [url for url, s in sources.items() if s.HasField("retrieve_time")]
    assert not retrieved, f"built-in sources with a retrieve_time: {retrieved}"


def test_korea_cambodia_fta_had_four_virtual_rounds(agreements, pb):
    response = call(
        agreements.ListNegotiationRounds,
        pb.agreements.ListNegotiationRoundsRequest(agreement_id="kor-khm"),
    )
    rounds = list(response.rounds)

    assert all(r.HasField("round_number") for r in rounds)
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
    assert response.total_size == 4
    assert not response.next_page_token


def test_negotiation_rounds_page_by_two(agreements, pb):
    pages = []
    token = ""
    for _ in range(MAX_PAGES):
        response = call(
            agreements.ListNegotiationRounds,
            pb.agreements.ListNegotiationRoundsRequest(
                agreement_id="kor-khm", page_size=2, page_token=token
            ),
        )
        pages.append(response)
        token = response.next_page_token
        if not token:
            break
    else:
        pytest.fail(f"ListNegotiationRounds still had a next_page_token after {MAX_PAGES} pages")

    assert [[r.round_number for r in page.rounds] for page in pages] == [[1, 2], [3, 4]]
    count = sum(len(page.rounds) for page in pages)
    assert [page.total_size for page in pages] == [count] * len(pages)


def test_negotiation_rounds_of_an_unknown_agreement_are_not_found(agreements, pb):
    error = expect_error(
        agreements.ListNegotiationRounds,
        pb.agreements.ListNegotiationRoundsRequest(agreement_id="no-such"),
        grpc.StatusCode.NOT_FOUND,
    )
    assert error_info(pb, error).reason == "AGREEMENT_NOT_FOUND"


def test_korea_in_force_agreements_include_cambodia_chile_and_us(agreements, pb):
    ids = list_ids(agreements, pb, party="KOR", status=pb.agreements.AGREEMENT_STATUS_IN_FORCE)

    assert {"kor-khm", "kor-chl", "kor-usa"} <= set(ids)


def test_korea_was_negotiating_with_cambodia_and_the_philippines_on_2020_10_05(agreements, pb):
    ids = list_ids(
        agreements,
        pb,
        party="KOR",
        status=pb.agreements.AGREEMENT_STATUS_NEGOTIATING,
        as_of=pb.date.Date(year=2020, month=10, day=5),
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
    assert unpaged.total_size == len(unpaged_ids)

    pages = list_pages(agreements, pb, page_size=5)
    paged_ids = [a.id for page in pages for a in page.agreements]

    assert all(len(page.agreements) <= 5 for page in pages), [len(p.agreements) for p in pages]
    assert len(pages) > 1
    assert len(paged_ids) == len(set(paged_ids)), f"duplicates across pages: {paged_ids}"
    assert paged_ids == unpaged_ids
    assert {page.total_size for page in pages} == {len(unpaged_ids)}


def test_list_agreements_rejects_negative_page_size_with_details(agreements, pb):
    error = expect_error(
        agreements.ListAgreements,
        pb.agreements.ListAgreementsRequest(page_size=-1),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "page_size" in error.details()
    assert error_info(pb, error).reason == "FIELD_INVALID"
    assert violated_fields(pb, error) == ["page_size"]


def test_list_agreements_rejects_a_page_token_used_with_other_filters(agreements, pb):
    first = call(agreements.ListAgreements, pb.agreements.ListAgreementsRequest(page_size=2))
    assert first.next_page_token

    error = expect_error(
        agreements.ListAgreements,
        pb.agreements.ListAgreementsRequest(
            page_size=2, page_token=first.next_page_token, party="KOR"
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violated_fields(pb, error) == ["page_token"]


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


def test_unknown_trade_figures_are_absent_not_zero(korea_cambodia_trade):
    # Cambodia states only its 2019 total with Korea: no exports, imports or
    # balance, and no 2018 figure to grow from.
    y2019 = by_year(korea_cambodia_trade.mirror_years)[2019]
    for field in ("exports_usd", "imports_usd", "balance_usd", "total_growth_pct"):
        assert not y2019.HasField(field), f"KHM 2019 {field} = {getattr(y2019, field)}"
    # Korea has no 2017 figure, so its 2018 growth is unknown.
    y2018 = by_year(korea_cambodia_trade.years)[2018]
    assert y2018.HasField("total_usd")
    for field in ("exports_growth_pct", "imports_growth_pct", "total_growth_pct"):
        assert not y2018.HasField(field), f"KOR 2018 {field} = {getattr(y2018, field)}"


def test_every_trade_year_cites_a_source_with_a_url(korea_cambodia_trade):
    all_years = [*korea_cambodia_trade.years, *korea_cambodia_trade.mirror_years]
    assert all_years
    for year in all_years:
        urls = [s.url for s in year.sources if s.url]
        assert urls, f"{year.reported_by} {year.year} has no source with a url"


def test_reversed_year_range_is_invalid(trade, pb):
    error = expect_error(
        trade.GetBilateralTrade,
        pb.trade.GetBilateralTradeRequest(
            reporter="KOR", partner="KHM", start_year=2020, end_year=2010
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "start_year" in error.details() or "end_year" in error.details()
    assert error_info(pb, error).reason == "FIELD_INVALID"
    assert set(violated_fields(pb, error)) <= {"start_year", "end_year"}


def test_unknown_reporter_is_invalid_and_named(trade, pb):
    error = expect_error(
        trade.GetBilateralTrade,
        pb.trade.GetBilateralTradeRequest(reporter="Atlantis", partner="KHM"),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violated_fields(pb, error) == ["reporter"]


def test_cambodia_was_koreas_58th_export_destination_in_2019(trade, pb):
    response = call(
        trade.RankPartners,
        pb.trade.RankPartnersRequest(
            reporter="KOR", year=2019, flow=pb.trade.TRADE_FLOW_EXPORT, partners=["KHM"]
        ),
    )

    # No complete partner figures are held for 2019: only a quoted rank.
    assert not response.entries
    assert not response.HasField("partner_count")
    assert len(response.quoted_entries) == 1, response.quoted_entries
    entry = response.quoted_entries[0]
    assert list(entry.partners) == ["KHM"]
    assert entry.HasField("rank")
    assert entry.rank == 58
    # The statement gives a rank only: no value, no share (not 0).
    assert not entry.HasField("value_usd"), entry.value_usd
    assert not entry.HasField("share_pct"), entry.share_pct


def test_china_and_us_took_about_40_percent_of_korean_exports_in_2019(trade, pb):
    response = call(
        trade.RankPartners,
        pb.trade.RankPartnersRequest(
            reporter="KOR",
            year=2019,
            flow=pb.trade.TRADE_FLOW_EXPORT,
            partners=["CHN", "United States"],
        ),
    )

    assert response.HasField("combined_share_pct")
    assert response.combined_share_pct == pytest.approx(40, abs=1)
    [entry] = response.quoted_entries
    assert sorted(entry.partners) == ["CHN", "USA"]
    # A share for both together, no rank.
    assert not entry.HasField("rank"), entry.rank
    assert entry.HasField("share_pct")
    assert entry.share_pct == pytest.approx(40, abs=1)


def test_korea_mainly_exports_trucks_drinks_and_textiles_to_cambodia(trade, pb):
    response = call(
        trade.GetProductBreakdown,
        pb.trade.GetProductBreakdownRequest(
            reporter="KOR", partner="KHM", year=2019, flow=pb.trade.TRADE_FLOW_EXPORT
        ),
    )

    assert response.quoted
    assert [p.description for p in response.products] == ["Cargo trucks", "Drinks", "Textiles"]
    assert response.total_size == 3
    assert not response.next_page_token
    # A quoted list names the products only.
    for product in response.products:
        assert not product.HasField("value_usd"), product
        assert not product.HasField("share_pct"), product


def test_product_breakdown_pages_by_two(trade, pb):
    request = pb.trade.GetProductBreakdownRequest(
        reporter="KOR", partner="KHM", year=2019, flow=pb.trade.TRADE_FLOW_EXPORT, page_size=2
    )
    pages = []
    for _ in range(MAX_PAGES):
        response = call(trade.GetProductBreakdown, request)
        pages.append(response)
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    else:
        pytest.fail(f"GetProductBreakdown still had a next_page_token after {MAX_PAGES} pages")

    assert [[p.description for p in page.products] for page in pages] == [
        ["Cargo trucks", "Drinks"],
        ["Textiles"],
    ]
    assert [page.total_size for page in pages] == [3, 3]


def test_product_breakdown_has_no_total_flow(trade, pb):
    error = expect_error(
        trade.GetProductBreakdown,
        pb.trade.GetProductBreakdownRequest(
            reporter="KOR", partner="KHM", year=2019, flow=pb.trade.TRADE_FLOW_TOTAL
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violated_fields(pb, error) == ["flow"]


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
    # Every year is in the 2024-06-28 release, the latest.
    assert {ymd(p.vintage) for p in response.points} == {(2024, 6, 28)}
    assert [ymd(v) for v in response.vintages] == [(2017, 4, 27), (2024, 6, 28)]


def test_cambodia_gdp_growth_as_published_on_2017_04_27(indicators, pb):
    response = call(
        indicators.GetIndicatorSeries,
        pb.indicators.GetIndicatorSeriesRequest(
            economy="KHM",
            indicator=GDP_GROWTH,
            start_year=2011,
            end_year=2019,
            vintage=pb.date.Date(year=2017, month=4, day=27),
        ),
    )
    points = {p.year: p for p in response.points}

    assert [p.year for p in response.points] == list(range(2011, 2016))
    assert points[2015].HasField("value")
    assert points[2015].value == pytest.approx(7.0361, abs=1e-4)
    assert {ymd(p.vintage) for p in response.points} == {(2017, 4, 27)}
    assert (2017, 4, 27) in [ymd(v) for v in response.vintages]


def test_indicator_vintage_must_be_a_full_date(indicators, pb):
    error = expect_error(
        indicators.GetIndicatorSeries,
        pb.indicators.GetIndicatorSeriesRequest(
            economy="KHM", indicator=GDP_GROWTH, vintage=pb.date.Date(year=2017, month=4)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violated_fields(pb, error) == ["vintage"]


# --- bad input -------------------------------------------------------------------


def test_empty_agreement_id_is_invalid(agreements, pb):
    error = expect_error(
        agreements.GetAgreement,
        pb.agreements.GetAgreementRequest(id=""),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "id" in error.details()
    assert violated_fields(pb, error) == ["id"]


def test_unknown_agreement_is_not_found_with_details(agreements, pb):
    error = expect_error(
        agreements.GetAgreement,
        pb.agreements.GetAgreementRequest(id="no-such"),
        grpc.StatusCode.NOT_FOUND,
    )
    assert error_info(pb, error).reason == "AGREEMENT_NOT_FOUND"
    [resource] = error_details(pb, error).get("ResourceInfo", [None])
    assert resource is not None, "NOT_FOUND without a ResourceInfo"
    assert resource.resource_name == "no-such", resource
    assert resource.resource_type, resource


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
