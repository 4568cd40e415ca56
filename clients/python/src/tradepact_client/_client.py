"""`Client`: the tradepact services behind one channel, one method per question."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from tradepact_client._errors import TradepactError
from tradepact_client._values import date_message, enum_value
from tradepact_client.v1 import (
    agreements_pb2,
    agreements_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    indicators_pb2,
    indicators_pb2_grpc,
    trade_pb2,
    trade_pb2_grpc,
)

_Response = TypeVar("_Response", bound=Message)

DEFAULT_TIMEOUT_S = 10.0

LOAD_BALANCING_POLICIES = ("round_robin", "pick_first")
"""The gRPC load-balancing policies `Client(load_balancing=...)` accepts."""

RETRIED_METHODS = (
    {"service": "tradepact.v1.AgreementService"},
    {"service": "tradepact.v1.CatalogService"},
    {"service": "tradepact.v1.IndicatorService"},
    {"service": "tradepact.v1.TradeService"},
    {"service": "tradepact.v1.RefreshService", "method": "ListSources"},
    {"service": "tradepact.v1.RefreshService", "method": "GetRefreshRun"},
    {"service": "tradepact.v1.RefreshService", "method": "ListRefreshRuns"},
    {"service": "tradepact.v1.RefreshService", "method": "WatchChanges"},
)
"""The methods retried on UNAVAILABLE: every question, none that changes
anything (TriggerRefresh is not retried). A stream is retried only until its
first answer arrives."""

RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
"""gRPC's own retries, in the service config a `Client` sets with its
load-balancing policy: a read replica answers UNAVAILABLE while it restores
its copy (REPLICA_RESTORING), loads at start (STILL_LOADING) or stops
(SHUTTING_DOWN), and with round_robin the retry goes to the next replica."""

# Channel options that already choose a load-balancing policy.
_LB_OPTIONS = ("grpc.service_config", "grpc.lb_policy_name")


def channel_options(
    target: str,
    options: Sequence[tuple[str, Any]] | None = None,
    load_balancing: str | None = None,
) -> list[tuple[str, Any]]:
    """The channel options a `Client` opens `target` with: `options` plus a
    service config choosing the load-balancing policy.

    The service config also retries the questions on UNAVAILABLE
    (`RETRY_POLICY`, `RETRIED_METHODS`).

    `load_balancing` "round_robin" spreads calls over every address the
    target resolves to; "pick_first" uses one. None: "round_robin" for a
    `dns:` target (`dns:///tradepact-readers.<namespace>.svc.cluster.local:50051`,
    a headless Service of read replicas: deploy/REPLICAS.md), gRPC's own
    default (pick_first) for any other, and `options` unchanged when they
    already set "grpc.service_config" or "grpc.lb_policy_name".

    Raises:
        ValueError: an unknown policy, or both `load_balancing` and one of
            those options.
    """
    chosen = [(key, value) for key, value in options or () if key in _LB_OPTIONS]
    if load_balancing is None:
        if chosen or not target.startswith("dns:"):
            return list(options or ())
        load_balancing = "round_robin"
    elif load_balancing not in LOAD_BALANCING_POLICIES:
        raise ValueError(
            f"load_balancing: unknown policy {load_balancing!r}; one of: "
            + ", ".join(LOAD_BALANCING_POLICIES)
        )
    elif chosen:
        raise ValueError(
            f"load_balancing={load_balancing!r} and the channel option {chosen[0][0]!r}: give one"
        )
    service_config = json.dumps(
        {
            "loadBalancingConfig": [{load_balancing: {}}],
            "methodConfig": [{"name": list(RETRIED_METHODS), "retryPolicy": RETRY_POLICY}],
        }
    )
    return [*(options or ()), ("grpc.service_config", service_config)]


class Client:
    """A tradepact client: `Client("localhost:50051").agreements(party="KOR")`.

    Each method sends one request (or, for the listing methods, one per page:
    they follow `next_page_token` to the end) and returns the contract's own
    messages from `tradepact_client.v1`, fully typed (`*_pb2.pyi`); the
    listing methods return a list of the listed messages. `to_python` turns
    any answer into dicts and lists, `to_dataframe` into a pandas DataFrame.

    Arguments take the forms people write: economies as codes, names or
    aliases ("KOR", "kr", "South Korea"); enums by name in any case ("in_force",
    "export") or number; dates as `datetime.date`, "YYYY-MM-DD" or
    `google.type.Date`. A wrong argument type or enum name raises TypeError or
    ValueError before anything is sent; everything the server refuses raises
    `TradepactError` with the server's reason and field violations.

    The client owns a gRPC channel: close it with `close()` or use the client
    as a context manager. It is safe to share between threads.
    """

    def __init__(
        self,
        target: str,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        timeout: float | None = DEFAULT_TIMEOUT_S,
        options: Sequence[tuple[str, Any]] | None = None,
        load_balancing: str | None = None,
    ) -> None:
        """Opens a channel to `target` ("host:port", or "dns:///host:port"
        for every address of a name).

        Args:
            target: the server's address, e.g. "localhost:50051", or
                "dns:///tradepact-readers.<namespace>.svc.cluster.local:50051"
                for the read replicas behind a Kubernetes headless Service.
            credentials: `grpc.ssl_channel_credentials(...)` for a server that
                serves TLS (`--tls-cert`); None for plaintext.
            timeout: the deadline of each call in seconds (each page of a
                listing is one call); None waits for ever.
            options: gRPC channel options, passed to `grpc.secure_channel` or
                `grpc.insecure_channel` (with the load-balancing service
                config added, see `load_balancing`).
            load_balancing: "round_robin" (calls spread over every address
                the target resolves to) or "pick_first" (one address). None:
                round_robin for a `dns:` target, gRPC's default otherwise,
                and nothing added when `options` set "grpc.service_config" or
                "grpc.lb_policy_name" (see `channel_options`).
        """
        self.target = target
        """The address this client talks to."""
        self.timeout = timeout
        """The deadline of each call, in seconds (None: no deadline)."""
        options = channel_options(target, options, load_balancing)
        if credentials is None:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            self._channel = grpc.secure_channel(target, credentials, options=options)
        self._agreements = agreements_pb2_grpc.AgreementServiceStub(self._channel)
        self._trade = trade_pb2_grpc.TradeServiceStub(self._channel)
        self._indicators = indicators_pb2_grpc.IndicatorServiceStub(self._channel)
        self._catalog = catalog_pb2_grpc.CatalogServiceStub(self._channel)

    # --- lifecycle ---------------------------------------------------------------

    @property
    def channel(self) -> grpc.Channel:
        """The underlying gRPC channel, for stubs of your own
        (`tradepact_client.v1.*_pb2_grpc`) or methods this client does not wrap."""
        return self._channel

    def close(self) -> None:
        """Closes the channel; calls after this fail."""
        self._channel.close()

    def __enter__(self) -> Client:
        """The client itself; the channel is closed on leaving the block."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Closes the channel."""
        self.close()

    def __repr__(self) -> str:
        """`Client('host:port', timeout=10.0)`."""
        return f"Client({self.target!r}, timeout={self.timeout!r})"

    # --- calls -------------------------------------------------------------------

    def _call(self, method: Callable[..., _Response], request: Message) -> _Response:
        """One unary call with the client's deadline; gRPC errors become
        TradepactError."""
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as error:
            raise TradepactError.from_rpc_error(error) from error

    def _pages(self, method: Callable[..., Any], request: Any) -> Iterator[Any]:
        """Every page of a listing, following `next_page_token` (the request's
        `page_token` is set in place)."""
        seen: set[str] = set()
        while True:
            page = self._call(method, request)
            yield page
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                raise RuntimeError(
                    f"{type(request).__name__}: the server repeated page token {token!r}"
                )
            seen.add(token)
            request.page_token = token

    @staticmethod
    def _page_size(page_size: int | None) -> int:
        """The request's page_size: 0 (the server's default) for None."""
        return 0 if page_size is None else page_size

    # --- AgreementService ----------------------------------------------------------

    def agreements(
        self,
        party: str | None = None,
        status: str | int | None = None,
        as_of: Any = None,
        view: str | int | None = None,
        *,
        query: str | None = None,
        page_size: int | None = None,
    ) -> list[agreements_pb2.Agreement]:
        """Agreements matching the filters, in id order, every page
        (AgreementService.ListAgreements).

        Args:
            party: an economy ("KOR", "kr", "410", "South Korea") or a group
                ("ASEAN", "European Union"); a party filter also matches the
                groups an economy belongs to. None: any party.
            status: e.g. "in_force", "negotiating", "signed" (an
                `AgreementStatus` name or number), evaluated on `as_of`.
                None: any status.
            as_of: evaluate statuses on this full date (`datetime.date` or
                "YYYY-MM-DD"); None: today.
            view: "basic" (the default here: no events, no sources) or "full".
            query: words each of which must appear in the agreement's name,
                id or designation or name one of its parties ("Korea
                Cambodia", "digital"). None: no text filter.
            page_size: agreements per request (None: the server's default);
                every page is fetched either way.

        Returns:
            The `Agreement` messages (`id`, `name`, `parties`, `status`,
            `status_since`...).
        """
        request = agreements_pb2.ListAgreementsRequest(
            party=party or "",
            status=enum_value(agreements_pb2.AgreementStatus, "AGREEMENT_STATUS_", status, "status"),
            as_of=date_message(as_of, "as_of"),
            view=enum_value(agreements_pb2.AgreementView, "AGREEMENT_VIEW_", view, "view"),
            page_size=self._page_size(page_size),
            query=query or "",
        )
        return [a for page in self._pages(self._agreements.ListAgreements, request) for a in page.agreements]

    def agreement(
        self, id: str, as_of: Any = None, view: str | int | None = None
    ) -> agreements_pb2.Agreement:
        """One agreement with its dated events and sources
        (AgreementService.GetAgreement).

        Args:
            id: the agreement's id, e.g. "kor-khm".
            as_of: answer as on this full date: `status` and `status_since`
                are those in force then and later events are left out. None:
                today.
            view: "full" (the default here) or "basic".

        Raises:
            TradepactError: NOT_FOUND (reason AGREEMENT_NOT_FOUND) for an id
                the server does not hold.
        """
        request = agreements_pb2.GetAgreementRequest(
            id=id,
            as_of=date_message(as_of, "as_of"),
            view=enum_value(agreements_pb2.AgreementView, "AGREEMENT_VIEW_", view, "view"),
        )
        return self._call(self._agreements.GetAgreement, request)

    def rounds(
        self, agreement_id: str, *, page_size: int | None = None
    ) -> list[agreements_pb2.AgreementEvent]:
        """The official negotiation rounds of one agreement, in order, every
        page (AgreementService.ListNegotiationRounds).

        Args:
            agreement_id: e.g. "kor-khm".
            page_size: rounds per request (None: the server's default).

        Returns:
            `AgreementEvent` messages of kind EVENT_KIND_ROUND (`round_number`,
            `start`, `end`, `format`, `venue`...); empty for an agreement with
            no recorded rounds.

        Raises:
            TradepactError: NOT_FOUND for an unknown agreement.
        """
        request = agreements_pb2.ListNegotiationRoundsRequest(
            agreement_id=agreement_id, page_size=self._page_size(page_size)
        )
        return [
            r for page in self._pages(self._agreements.ListNegotiationRounds, request) for r in page.rounds
        ]

    # --- TradeService ------------------------------------------------------------------

    def bilateral_trade(
        self,
        reporter: str,
        partner: str,
        start_year: int | None = None,
        end_year: int | None = None,
    ) -> trade_pb2.GetBilateralTradeResponse:
        """A pair's annual trade from both sides (TradeService.GetBilateralTrade).

        Args:
            reporter: the reporting economy ("KOR", "South Korea").
            partner: the partner economy ("KHM", "Cambodia").
            start_year: first year of the inclusive range; None: open.
            end_year: last year of the inclusive range; None: open.

        Returns:
            `years` (as the reporter reports it) and `mirror_years` (as the
            partner reports it, from the reporter's point of view): `TradeYear`
            messages in current US dollars; a figure the sources do not give
            is unset (`HasField` is False; None in `to_python`).

        Raises:
            TradepactError: NOT_FOUND (reason TRADE_DATA_NOT_HELD) when no
                figure is held for the pair in the range.
        """
        request = trade_pb2.GetBilateralTradeRequest(
            reporter=reporter,
            partner=partner,
            start_year=start_year or 0,
            end_year=end_year or 0,
        )
        return self._call(self._trade.GetBilateralTrade, request)

    def rank_partners(
        self,
        reporter: str,
        year: int,
        flow: str | int,
        partners: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> trade_pb2.RankPartnersResponse:
        """Where partners rank among the reporter's destinations or origins
        (TradeService.RankPartners).

        Args:
            reporter: the reporting economy.
            year: the year ranked.
            flow: "export" (destinations), "import" (origins) or "total".
            partners: these partners' ranks (and their `combined_share_pct`)
                instead of the top list; None: the top list.
            limit: how many of the top partners (None: the server's default,
                10); only for the top list, never with `partners`.

        Returns:
            `entries` (computed from complete partner figures) and
            `quoted_entries` (as an official source states them).

        Raises:
            TradepactError: NOT_FOUND when neither kind of ranking is held.
        """
        request = trade_pb2.RankPartnersRequest(
            reporter=reporter,
            year=year,
            flow=enum_value(trade_pb2.TradeFlow, "TRADE_FLOW_", flow, "flow"),
            partners=list(partners or ()),
            limit=limit or 0,
        )
        return self._call(self._trade.RankPartners, request)

    def products(
        self,
        reporter: str,
        partner: str,
        year: int,
        flow: str | int,
        hs_digits: int | None = None,
        *,
        page_size: int | None = None,
    ) -> trade_pb2.GetProductBreakdownResponse:
        """What the reporter mainly exports to or imports from the partner,
        largest first, every page (TradeService.GetProductBreakdown).

        Args:
            reporter: the reporting economy.
            partner: the partner economy.
            year: the year.
            flow: "export" or "import".
            hs_digits: HS level, 2, 4 or 6. None: the server's default, HS2
                lines where computed figures are held, else the quoted list
                of main products (which has no HS codes: asking for a level
                when only a quoted list is held is NOT_FOUND).
            page_size: products per request (None: the server's default).

        Returns:
            One `GetProductBreakdownResponse` with the `products` of every
            page, the first page's `sources`, `quoted` (True for an official
            list of main products rather than computed figures) and
            `total_size`; `next_page_token` is empty.

        Raises:
            TradepactError: NOT_FOUND when no breakdown is held for the year.
        """
        request = trade_pb2.GetProductBreakdownRequest(
            reporter=reporter,
            partner=partner,
            year=year,
            flow=enum_value(trade_pb2.TradeFlow, "TRADE_FLOW_", flow, "flow"),
            hs_digits=hs_digits or 0,
            page_size=self._page_size(page_size),
        )
        merged: trade_pb2.GetProductBreakdownResponse | None = None
        for page in self._pages(self._trade.GetProductBreakdown, request):
            if merged is None:
                merged = page
            else:
                merged.products.extend(page.products)
        assert merged is not None  # _pages yields at least one page
        merged.next_page_token = ""
        return merged

    # --- IndicatorService -----------------------------------------------------------------

    def indicator_series(
        self,
        economy: str,
        indicator: str,
        start_year: int | None = None,
        end_year: int | None = None,
        vintage: Any = None,
    ) -> indicators_pb2.GetIndicatorSeriesResponse:
        """One indicator's yearly values for one economy
        (IndicatorService.GetIndicatorSeries).

        Args:
            economy: "KHM", "Cambodia"...
            indicator: a World Bank code, e.g. "NY.GDP.MKTP.KD.ZG" (GDP growth,
                annual %).
            start_year: first year of the inclusive range; None: open.
            end_year: last year of the inclusive range; None: open.
            vintage: read this release (a full date, one of the answer's
                `vintages`); None: the latest vintage that has each year.

        Returns:
            `name`, `unit`, `points` (year, value, vintage, sources) and every
            `vintages` held.

        Raises:
            TradepactError: NOT_FOUND (reason INDICATOR_NOT_HELD) when no value
                is held.
        """
        request = indicators_pb2.GetIndicatorSeriesRequest(
            economy=economy,
            indicator=indicator,
            start_year=start_year or 0,
            end_year=end_year or 0,
            vintage=date_message(vintage, "vintage"),
        )
        return self._call(self._indicators.GetIndicatorSeries, request)

    # --- CatalogService ----------------------------------------------------------------------

    def economies(
        self, query: str | None = None, as_of: Any = None, *, page_size: int | None = None
    ) -> list[catalog_pb2.EconomyInfo]:
        """Economies and groups the server knows, in code order, every page
        (CatalogService.ListEconomies).

        Args:
            query: only those whose code, name or alias contains this text
                (any case; accents and punctuation ignored), e.g. "cambodia".
                None: all.
            as_of: groups and members as on this full date; None: today.
            page_size: entries per request (None: the server's default).

        Returns:
            `EconomyInfo` messages: `code`, `kind`, `name`, `aliases`,
            `groups` (of an economy), `members` (of a group), `held`...
        """
        request = catalog_pb2.ListEconomiesRequest(
            query=query or "",
            as_of=date_message(as_of, "as_of"),
            page_size=self._page_size(page_size),
        )
        return [e for page in self._pages(self._catalog.ListEconomies, request) for e in page.economies]

    def indicators(self) -> list[catalog_pb2.IndicatorInfo]:
        """Every indicator held or configured for refresh, with its economies,
        years and vintages (CatalogService.ListIndicators)."""
        response = self._call(self._catalog.ListIndicators, catalog_pb2.ListIndicatorsRequest())
        return list(response.indicators)

    def server_info(self) -> catalog_pb2.GetServerInfoResponse:
        """The server's version, dataset edition, each source's freshness and
        its configuration that is not secret (CatalogService.GetServerInfo)."""
        return self._call(self._catalog.GetServerInfo, catalog_pb2.GetServerInfoRequest())
