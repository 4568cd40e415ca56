from google.type import date_pb2 as _date_pb2
from tradepact_client.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetIndicatorSeriesRequest(_message.Message):
    __slots__ = ("economy", "indicator", "start_year", "end_year", "vintage")
    ECONOMY_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    START_YEAR_FIELD_NUMBER: _ClassVar[int]
    END_YEAR_FIELD_NUMBER: _ClassVar[int]
    VINTAGE_FIELD_NUMBER: _ClassVar[int]
    economy: str
    indicator: str
    start_year: int
    end_year: int
    vintage: _date_pb2.Date
    def __init__(self, economy: _Optional[str] = ..., indicator: _Optional[str] = ..., start_year: _Optional[int] = ..., end_year: _Optional[int] = ..., vintage: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class IndicatorPoint(_message.Message):
    __slots__ = ("year", "value", "vintage", "sources")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VINTAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    year: int
    value: float
    vintage: _date_pb2.Date
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.Source]
    def __init__(self, year: _Optional[int] = ..., value: _Optional[float] = ..., vintage: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.Source, _Mapping]]] = ...) -> None: ...

class GetIndicatorSeriesResponse(_message.Message):
    __slots__ = ("name", "unit", "points", "vintages", "freshness")
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    VINTAGES_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_FIELD_NUMBER: _ClassVar[int]
    name: str
    unit: str
    points: _containers.RepeatedCompositeFieldContainer[IndicatorPoint]
    vintages: _containers.RepeatedCompositeFieldContainer[_date_pb2.Date]
    freshness: _containers.RepeatedCompositeFieldContainer[_common_pb2.SourceFreshness]
    def __init__(self, name: _Optional[str] = ..., unit: _Optional[str] = ..., points: _Optional[_Iterable[_Union[IndicatorPoint, _Mapping]]] = ..., vintages: _Optional[_Iterable[_Union[_date_pb2.Date, _Mapping]]] = ..., freshness: _Optional[_Iterable[_Union[_common_pb2.SourceFreshness, _Mapping]]] = ...) -> None: ...
