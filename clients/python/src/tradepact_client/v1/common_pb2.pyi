import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PartyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTY_KIND_UNSPECIFIED: _ClassVar[PartyKind]
    PARTY_KIND_ECONOMY: _ClassVar[PartyKind]
    PARTY_KIND_GROUP: _ClassVar[PartyKind]
PARTY_KIND_UNSPECIFIED: PartyKind
PARTY_KIND_ECONOMY: PartyKind
PARTY_KIND_GROUP: PartyKind

class Source(_message.Message):
    __slots__ = ("title", "publisher", "url", "publish_date", "retrieve_time", "license", "redistributable")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_DATE_FIELD_NUMBER: _ClassVar[int]
    RETRIEVE_TIME_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    REDISTRIBUTABLE_FIELD_NUMBER: _ClassVar[int]
    title: str
    publisher: str
    url: str
    publish_date: _date_pb2.Date
    retrieve_time: _timestamp_pb2.Timestamp
    license: str
    redistributable: bool
    def __init__(self, title: _Optional[str] = ..., publisher: _Optional[str] = ..., url: _Optional[str] = ..., publish_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., retrieve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., license: _Optional[str] = ..., redistributable: _Optional[bool] = ...) -> None: ...

class Party(_message.Message):
    __slots__ = ("code", "kind")
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    code: str
    kind: PartyKind
    def __init__(self, code: _Optional[str] = ..., kind: _Optional[_Union[PartyKind, str]] = ...) -> None: ...

class SourceFreshness(_message.Message):
    __slots__ = ("name", "enabled", "last_success_time", "stale", "max_age")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    enabled: bool
    last_success_time: _timestamp_pb2.Timestamp
    stale: bool
    max_age: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., enabled: _Optional[bool] = ..., last_success_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stale: _Optional[bool] = ..., max_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CoverageGap(_message.Message):
    __slots__ = ("what", "source", "source_state")
    WHAT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_STATE_FIELD_NUMBER: _ClassVar[int]
    what: str
    source: str
    source_state: str
    def __init__(self, what: _Optional[str] = ..., source: _Optional[str] = ..., source_state: _Optional[str] = ...) -> None: ...
