import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from tradepact_client.v1 import common_pb2 as _common_pb2
from tradepact_client.v1 import trade_pb2 as _trade_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServerRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVER_ROLE_UNSPECIFIED: _ClassVar[ServerRole]
    SERVER_ROLE_ALL: _ClassVar[ServerRole]
    SERVER_ROLE_WRITER: _ClassVar[ServerRole]
    SERVER_ROLE_READER: _ClassVar[ServerRole]
SERVER_ROLE_UNSPECIFIED: ServerRole
SERVER_ROLE_ALL: ServerRole
SERVER_ROLE_WRITER: ServerRole
SERVER_ROLE_READER: ServerRole

class ListEconomiesRequest(_message.Message):
    __slots__ = ("query", "as_of", "page_size", "page_token")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    query: str
    as_of: _date_pb2.Date
    page_size: int
    page_token: str
    def __init__(self, query: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class EconomyInfo(_message.Message):
    __slots__ = ("code", "kind", "iso2", "numeric", "name", "official_name", "aliases", "groups", "members", "held")
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ISO2_FIELD_NUMBER: _ClassVar[int]
    NUMERIC_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    code: str
    kind: _common_pb2.PartyKind
    iso2: str
    numeric: int
    name: str
    official_name: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    groups: _containers.RepeatedScalarFieldContainer[str]
    members: _containers.RepeatedScalarFieldContainer[str]
    held: bool
    def __init__(self, code: _Optional[str] = ..., kind: _Optional[_Union[_common_pb2.PartyKind, str]] = ..., iso2: _Optional[str] = ..., numeric: _Optional[int] = ..., name: _Optional[str] = ..., official_name: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., groups: _Optional[_Iterable[str]] = ..., members: _Optional[_Iterable[str]] = ..., held: _Optional[bool] = ...) -> None: ...

class ListEconomiesResponse(_message.Message):
    __slots__ = ("economies", "next_page_token", "total_size")
    ECONOMIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    economies: _containers.RepeatedCompositeFieldContainer[EconomyInfo]
    next_page_token: str
    total_size: int
    def __init__(self, economies: _Optional[_Iterable[_Union[EconomyInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListIndicatorsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class IndicatorInfo(_message.Message):
    __slots__ = ("code", "name", "unit", "source", "economies", "first_year", "last_year", "vintages")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ECONOMIES_FIELD_NUMBER: _ClassVar[int]
    FIRST_YEAR_FIELD_NUMBER: _ClassVar[int]
    LAST_YEAR_FIELD_NUMBER: _ClassVar[int]
    VINTAGES_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    unit: str
    source: str
    economies: _containers.RepeatedScalarFieldContainer[str]
    first_year: int
    last_year: int
    vintages: _containers.RepeatedCompositeFieldContainer[_date_pb2.Date]
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., unit: _Optional[str] = ..., source: _Optional[str] = ..., economies: _Optional[_Iterable[str]] = ..., first_year: _Optional[int] = ..., last_year: _Optional[int] = ..., vintages: _Optional[_Iterable[_Union[_date_pb2.Date, _Mapping]]] = ...) -> None: ...

class ListIndicatorsResponse(_message.Message):
    __slots__ = ("indicators",)
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorInfo]
    def __init__(self, indicators: _Optional[_Iterable[_Union[IndicatorInfo, _Mapping]]] = ...) -> None: ...

class GetServerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerInfoResponse(_message.Message):
    __slots__ = ("version", "build", "start_time", "dataset_version", "sources", "settings", "replication")
    class SettingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BUILD_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DATASET_VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_FIELD_NUMBER: _ClassVar[int]
    version: str
    build: str
    start_time: _timestamp_pb2.Timestamp
    dataset_version: str
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.SourceFreshness]
    settings: _containers.ScalarMap[str, str]
    replication: Replication
    def __init__(self, version: _Optional[str] = ..., build: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dataset_version: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.SourceFreshness, _Mapping]]] = ..., settings: _Optional[_Mapping[str, str]] = ..., replication: _Optional[_Union[Replication, _Mapping]] = ...) -> None: ...

class Replication(_message.Message):
    __slots__ = ("role", "replica", "restored", "lag", "writer_heartbeat_time", "txid", "litestream_running", "litestream_restarts")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    REPLICA_FIELD_NUMBER: _ClassVar[int]
    RESTORED_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    WRITER_HEARTBEAT_TIME_FIELD_NUMBER: _ClassVar[int]
    TXID_FIELD_NUMBER: _ClassVar[int]
    LITESTREAM_RUNNING_FIELD_NUMBER: _ClassVar[int]
    LITESTREAM_RESTARTS_FIELD_NUMBER: _ClassVar[int]
    role: ServerRole
    replica: str
    restored: bool
    lag: _duration_pb2.Duration
    writer_heartbeat_time: _timestamp_pb2.Timestamp
    txid: int
    litestream_running: bool
    litestream_restarts: int
    def __init__(self, role: _Optional[_Union[ServerRole, str]] = ..., replica: _Optional[str] = ..., restored: _Optional[bool] = ..., lag: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., writer_heartbeat_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., txid: _Optional[int] = ..., litestream_running: _Optional[bool] = ..., litestream_restarts: _Optional[int] = ...) -> None: ...

class GetCoverageRequest(_message.Message):
    __slots__ = ("reporter", "partner")
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    reporter: str
    partner: str
    def __init__(self, reporter: _Optional[str] = ..., partner: _Optional[str] = ...) -> None: ...

class BilateralCoverage(_message.Message):
    __slots__ = ("reported_by", "years")
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    YEARS_FIELD_NUMBER: _ClassVar[int]
    reported_by: str
    years: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, reported_by: _Optional[str] = ..., years: _Optional[_Iterable[int]] = ...) -> None: ...

class ProductCoverage(_message.Message):
    __slots__ = ("year", "flow", "hs_digits", "quoted")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    HS_DIGITS_FIELD_NUMBER: _ClassVar[int]
    QUOTED_FIELD_NUMBER: _ClassVar[int]
    year: int
    flow: _trade_pb2.TradeFlow
    hs_digits: _containers.RepeatedScalarFieldContainer[int]
    quoted: bool
    def __init__(self, year: _Optional[int] = ..., flow: _Optional[_Union[_trade_pb2.TradeFlow, str]] = ..., hs_digits: _Optional[_Iterable[int]] = ..., quoted: _Optional[bool] = ...) -> None: ...

class RankingCoverage(_message.Message):
    __slots__ = ("year", "flow", "computed", "quoted")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_FIELD_NUMBER: _ClassVar[int]
    QUOTED_FIELD_NUMBER: _ClassVar[int]
    year: int
    flow: _trade_pb2.TradeFlow
    computed: bool
    quoted: bool
    def __init__(self, year: _Optional[int] = ..., flow: _Optional[_Union[_trade_pb2.TradeFlow, str]] = ..., computed: _Optional[bool] = ..., quoted: _Optional[bool] = ...) -> None: ...

class IndicatorCoverage(_message.Message):
    __slots__ = ("indicator", "years")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    YEARS_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    years: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, indicator: _Optional[str] = ..., years: _Optional[_Iterable[int]] = ...) -> None: ...

class GetCoverageResponse(_message.Message):
    __slots__ = ("reporter", "partner", "bilateral", "products", "rankings", "indicators", "gaps")
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    BILATERAL_FIELD_NUMBER: _ClassVar[int]
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    RANKINGS_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    reporter: str
    partner: str
    bilateral: _containers.RepeatedCompositeFieldContainer[BilateralCoverage]
    products: _containers.RepeatedCompositeFieldContainer[ProductCoverage]
    rankings: _containers.RepeatedCompositeFieldContainer[RankingCoverage]
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorCoverage]
    gaps: _containers.RepeatedCompositeFieldContainer[_common_pb2.CoverageGap]
    def __init__(self, reporter: _Optional[str] = ..., partner: _Optional[str] = ..., bilateral: _Optional[_Iterable[_Union[BilateralCoverage, _Mapping]]] = ..., products: _Optional[_Iterable[_Union[ProductCoverage, _Mapping]]] = ..., rankings: _Optional[_Iterable[_Union[RankingCoverage, _Mapping]]] = ..., indicators: _Optional[_Iterable[_Union[IndicatorCoverage, _Mapping]]] = ..., gaps: _Optional[_Iterable[_Union[_common_pb2.CoverageGap, _Mapping]]] = ...) -> None: ...
