from tradepact_client.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TradeFlow(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADE_FLOW_UNSPECIFIED: _ClassVar[TradeFlow]
    TRADE_FLOW_EXPORT: _ClassVar[TradeFlow]
    TRADE_FLOW_IMPORT: _ClassVar[TradeFlow]
    TRADE_FLOW_TOTAL: _ClassVar[TradeFlow]
TRADE_FLOW_UNSPECIFIED: TradeFlow
TRADE_FLOW_EXPORT: TradeFlow
TRADE_FLOW_IMPORT: TradeFlow
TRADE_FLOW_TOTAL: TradeFlow

class GetBilateralTradeRequest(_message.Message):
    __slots__ = ("reporter", "partner", "start_year", "end_year")
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    START_YEAR_FIELD_NUMBER: _ClassVar[int]
    END_YEAR_FIELD_NUMBER: _ClassVar[int]
    reporter: str
    partner: str
    start_year: int
    end_year: int
    def __init__(self, reporter: _Optional[str] = ..., partner: _Optional[str] = ..., start_year: _Optional[int] = ..., end_year: _Optional[int] = ...) -> None: ...

class TradeYear(_message.Message):
    __slots__ = ("year", "exports_usd", "imports_usd", "total_usd", "balance_usd", "exports_growth_pct", "imports_growth_pct", "total_growth_pct", "reported_by", "sources", "alternatives", "note")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    EXPORTS_USD_FIELD_NUMBER: _ClassVar[int]
    IMPORTS_USD_FIELD_NUMBER: _ClassVar[int]
    TOTAL_USD_FIELD_NUMBER: _ClassVar[int]
    BALANCE_USD_FIELD_NUMBER: _ClassVar[int]
    EXPORTS_GROWTH_PCT_FIELD_NUMBER: _ClassVar[int]
    IMPORTS_GROWTH_PCT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_GROWTH_PCT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    year: int
    exports_usd: float
    imports_usd: float
    total_usd: float
    balance_usd: float
    exports_growth_pct: float
    imports_growth_pct: float
    total_growth_pct: float
    reported_by: str
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.Source]
    alternatives: _containers.RepeatedCompositeFieldContainer[TradeYear]
    note: str
    def __init__(self, year: _Optional[int] = ..., exports_usd: _Optional[float] = ..., imports_usd: _Optional[float] = ..., total_usd: _Optional[float] = ..., balance_usd: _Optional[float] = ..., exports_growth_pct: _Optional[float] = ..., imports_growth_pct: _Optional[float] = ..., total_growth_pct: _Optional[float] = ..., reported_by: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.Source, _Mapping]]] = ..., alternatives: _Optional[_Iterable[_Union[TradeYear, _Mapping]]] = ..., note: _Optional[str] = ...) -> None: ...

class GetBilateralTradeResponse(_message.Message):
    __slots__ = ("years", "mirror_years", "freshness")
    YEARS_FIELD_NUMBER: _ClassVar[int]
    MIRROR_YEARS_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_FIELD_NUMBER: _ClassVar[int]
    years: _containers.RepeatedCompositeFieldContainer[TradeYear]
    mirror_years: _containers.RepeatedCompositeFieldContainer[TradeYear]
    freshness: _containers.RepeatedCompositeFieldContainer[_common_pb2.SourceFreshness]
    def __init__(self, years: _Optional[_Iterable[_Union[TradeYear, _Mapping]]] = ..., mirror_years: _Optional[_Iterable[_Union[TradeYear, _Mapping]]] = ..., freshness: _Optional[_Iterable[_Union[_common_pb2.SourceFreshness, _Mapping]]] = ...) -> None: ...

class RankPartnersRequest(_message.Message):
    __slots__ = ("reporter", "year", "flow", "limit", "partners")
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PARTNERS_FIELD_NUMBER: _ClassVar[int]
    reporter: str
    year: int
    flow: TradeFlow
    limit: int
    partners: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, reporter: _Optional[str] = ..., year: _Optional[int] = ..., flow: _Optional[_Union[TradeFlow, str]] = ..., limit: _Optional[int] = ..., partners: _Optional[_Iterable[str]] = ...) -> None: ...

class PartnerRank(_message.Message):
    __slots__ = ("rank", "partners", "value_usd", "share_pct", "note")
    RANK_FIELD_NUMBER: _ClassVar[int]
    PARTNERS_FIELD_NUMBER: _ClassVar[int]
    VALUE_USD_FIELD_NUMBER: _ClassVar[int]
    SHARE_PCT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    rank: int
    partners: _containers.RepeatedScalarFieldContainer[str]
    value_usd: float
    share_pct: float
    note: str
    def __init__(self, rank: _Optional[int] = ..., partners: _Optional[_Iterable[str]] = ..., value_usd: _Optional[float] = ..., share_pct: _Optional[float] = ..., note: _Optional[str] = ...) -> None: ...

class RankPartnersResponse(_message.Message):
    __slots__ = ("entries", "partner_count", "sources", "combined_share_pct", "quoted_entries", "freshness", "missing")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PARTNER_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    COMBINED_SHARE_PCT_FIELD_NUMBER: _ClassVar[int]
    QUOTED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[PartnerRank]
    partner_count: int
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.Source]
    combined_share_pct: float
    quoted_entries: _containers.RepeatedCompositeFieldContainer[PartnerRank]
    freshness: _containers.RepeatedCompositeFieldContainer[_common_pb2.SourceFreshness]
    missing: _containers.RepeatedCompositeFieldContainer[_common_pb2.CoverageGap]
    def __init__(self, entries: _Optional[_Iterable[_Union[PartnerRank, _Mapping]]] = ..., partner_count: _Optional[int] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.Source, _Mapping]]] = ..., combined_share_pct: _Optional[float] = ..., quoted_entries: _Optional[_Iterable[_Union[PartnerRank, _Mapping]]] = ..., freshness: _Optional[_Iterable[_Union[_common_pb2.SourceFreshness, _Mapping]]] = ..., missing: _Optional[_Iterable[_Union[_common_pb2.CoverageGap, _Mapping]]] = ...) -> None: ...

class GetProductBreakdownRequest(_message.Message):
    __slots__ = ("reporter", "partner", "year", "flow", "hs_digits", "page_size", "page_token")
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    HS_DIGITS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reporter: str
    partner: str
    year: int
    flow: TradeFlow
    hs_digits: int
    page_size: int
    page_token: str
    def __init__(self, reporter: _Optional[str] = ..., partner: _Optional[str] = ..., year: _Optional[int] = ..., flow: _Optional[_Union[TradeFlow, str]] = ..., hs_digits: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ProductShare(_message.Message):
    __slots__ = ("hs_code", "description", "value_usd", "share_pct")
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VALUE_USD_FIELD_NUMBER: _ClassVar[int]
    SHARE_PCT_FIELD_NUMBER: _ClassVar[int]
    hs_code: str
    description: str
    value_usd: float
    share_pct: float
    def __init__(self, hs_code: _Optional[str] = ..., description: _Optional[str] = ..., value_usd: _Optional[float] = ..., share_pct: _Optional[float] = ...) -> None: ...

class GetProductBreakdownResponse(_message.Message):
    __slots__ = ("products", "sources", "quoted", "next_page_token", "total_size", "freshness")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    QUOTED_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[ProductShare]
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.Source]
    quoted: bool
    next_page_token: str
    total_size: int
    freshness: _containers.RepeatedCompositeFieldContainer[_common_pb2.SourceFreshness]
    def __init__(self, products: _Optional[_Iterable[_Union[ProductShare, _Mapping]]] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.Source, _Mapping]]] = ..., quoted: _Optional[bool] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ..., freshness: _Optional[_Iterable[_Union[_common_pb2.SourceFreshness, _Mapping]]] = ...) -> None: ...
