import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from tradepact_client.v1 import trade_pb2 as _trade_pb2
from tradepact_client.v1 import agreements_pb2 as _agreements_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATE_UNSPECIFIED: _ClassVar[RunState]
    RUN_STATE_RUNNING: _ClassVar[RunState]
    RUN_STATE_SUCCEEDED: _ClassVar[RunState]
    RUN_STATE_UNCHANGED: _ClassVar[RunState]
    RUN_STATE_FAILED: _ClassVar[RunState]
    RUN_STATE_SKIPPED: _ClassVar[RunState]
    RUN_STATE_SKIPPED_OVERLAP: _ClassVar[RunState]
    RUN_STATE_CANCELLED: _ClassVar[RunState]
    RUN_STATE_INTERRUPTED: _ClassVar[RunState]

class RunTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_TRIGGER_UNSPECIFIED: _ClassVar[RunTrigger]
    RUN_TRIGGER_SCHEDULE: _ClassVar[RunTrigger]
    RUN_TRIGGER_STARTUP: _ClassVar[RunTrigger]
    RUN_TRIGGER_MANUAL: _ClassVar[RunTrigger]

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_NEW_FIGURE: _ClassVar[ChangeKind]
    CHANGE_KIND_REVISED_FIGURE: _ClassVar[ChangeKind]
    CHANGE_KIND_REMOVED_FIGURE: _ClassVar[ChangeKind]
    CHANGE_KIND_STATUS_CHANGED: _ClassVar[ChangeKind]

class WatchEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WATCH_EVENT_KIND_UNSPECIFIED: _ClassVar[WatchEventKind]
    WATCH_EVENT_KIND_CHANGES: _ClassVar[WatchEventKind]
    WATCH_EVENT_KIND_CAUGHT_UP: _ClassVar[WatchEventKind]
    WATCH_EVENT_KIND_HEARTBEAT: _ClassVar[WatchEventKind]
RUN_STATE_UNSPECIFIED: RunState
RUN_STATE_RUNNING: RunState
RUN_STATE_SUCCEEDED: RunState
RUN_STATE_UNCHANGED: RunState
RUN_STATE_FAILED: RunState
RUN_STATE_SKIPPED: RunState
RUN_STATE_SKIPPED_OVERLAP: RunState
RUN_STATE_CANCELLED: RunState
RUN_STATE_INTERRUPTED: RunState
RUN_TRIGGER_UNSPECIFIED: RunTrigger
RUN_TRIGGER_SCHEDULE: RunTrigger
RUN_TRIGGER_STARTUP: RunTrigger
RUN_TRIGGER_MANUAL: RunTrigger
CHANGE_KIND_UNSPECIFIED: ChangeKind
CHANGE_KIND_NEW_FIGURE: ChangeKind
CHANGE_KIND_REVISED_FIGURE: ChangeKind
CHANGE_KIND_REMOVED_FIGURE: ChangeKind
CHANGE_KIND_STATUS_CHANGED: ChangeKind
WATCH_EVENT_KIND_UNSPECIFIED: WatchEventKind
WATCH_EVENT_KIND_CHANGES: WatchEventKind
WATCH_EVENT_KIND_CAUGHT_UP: WatchEventKind
WATCH_EVENT_KIND_HEARTBEAT: WatchEventKind

class RefreshRun(_message.Message):
    __slots__ = ("id", "source", "state", "trigger", "start_time", "end_time", "rows", "changes", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: int
    source: str
    state: RunState
    trigger: RunTrigger
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    rows: int
    changes: int
    error: str
    def __init__(self, id: _Optional[int] = ..., source: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ..., trigger: _Optional[_Union[RunTrigger, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rows: _Optional[int] = ..., changes: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class SourceInfo(_message.Message):
    __slots__ = ("name", "schedule", "enabled", "disabled_reason", "base_url", "last_run", "last_success_time", "next_run_time", "stale", "max_age", "rows_held")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    DISABLED_REASON_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    ROWS_HELD_FIELD_NUMBER: _ClassVar[int]
    name: str
    schedule: str
    enabled: bool
    disabled_reason: str
    base_url: str
    last_run: RefreshRun
    last_success_time: _timestamp_pb2.Timestamp
    next_run_time: _timestamp_pb2.Timestamp
    stale: bool
    max_age: _duration_pb2.Duration
    rows_held: int
    def __init__(self, name: _Optional[str] = ..., schedule: _Optional[str] = ..., enabled: _Optional[bool] = ..., disabled_reason: _Optional[str] = ..., base_url: _Optional[str] = ..., last_run: _Optional[_Union[RefreshRun, _Mapping]] = ..., last_success_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stale: _Optional[bool] = ..., max_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rows_held: _Optional[int] = ...) -> None: ...

class ListSourcesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSourcesResponse(_message.Message):
    __slots__ = ("sources",)
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[SourceInfo]
    def __init__(self, sources: _Optional[_Iterable[_Union[SourceInfo, _Mapping]]] = ...) -> None: ...

class TriggerRefreshRequest(_message.Message):
    __slots__ = ("source",)
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    source: str
    def __init__(self, source: _Optional[str] = ...) -> None: ...

class GetRefreshRunRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class ListRefreshRunsRequest(_message.Message):
    __slots__ = ("source", "page_size", "page_token")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    source: str
    page_size: int
    page_token: str
    def __init__(self, source: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRefreshRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RefreshRun]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[RefreshRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AgreementSubject(_message.Message):
    __slots__ = ("agreement_id",)
    AGREEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    agreement_id: str
    def __init__(self, agreement_id: _Optional[str] = ...) -> None: ...

class IndicatorSubject(_message.Message):
    __slots__ = ("indicator", "economy", "vintage")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    ECONOMY_FIELD_NUMBER: _ClassVar[int]
    VINTAGE_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    economy: str
    vintage: _date_pb2.Date
    def __init__(self, indicator: _Optional[str] = ..., economy: _Optional[str] = ..., vintage: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class TradeSubject(_message.Message):
    __slots__ = ("reporter", "partner", "flow", "hs_code", "figure")
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    FIGURE_FIELD_NUMBER: _ClassVar[int]
    reporter: str
    partner: str
    flow: _trade_pb2.TradeFlow
    hs_code: str
    figure: str
    def __init__(self, reporter: _Optional[str] = ..., partner: _Optional[str] = ..., flow: _Optional[_Union[_trade_pb2.TradeFlow, str]] = ..., hs_code: _Optional[str] = ..., figure: _Optional[str] = ...) -> None: ...

class ProductLinesSubject(_message.Message):
    __slots__ = ("reporter", "partner", "flow", "hs_digits", "added", "revised", "removed", "lines")
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    HS_DIGITS_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    REVISED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    reporter: str
    partner: str
    flow: _trade_pb2.TradeFlow
    hs_digits: int
    added: int
    revised: int
    removed: int
    lines: int
    def __init__(self, reporter: _Optional[str] = ..., partner: _Optional[str] = ..., flow: _Optional[_Union[_trade_pb2.TradeFlow, str]] = ..., hs_digits: _Optional[int] = ..., added: _Optional[int] = ..., revised: _Optional[int] = ..., removed: _Optional[int] = ..., lines: _Optional[int] = ...) -> None: ...

class ChangeSubject(_message.Message):
    __slots__ = ("agreement", "indicator", "trade", "product_lines")
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    TRADE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINES_FIELD_NUMBER: _ClassVar[int]
    agreement: AgreementSubject
    indicator: IndicatorSubject
    trade: TradeSubject
    product_lines: ProductLinesSubject
    def __init__(self, agreement: _Optional[_Union[AgreementSubject, _Mapping]] = ..., indicator: _Optional[_Union[IndicatorSubject, _Mapping]] = ..., trade: _Optional[_Union[TradeSubject, _Mapping]] = ..., product_lines: _Optional[_Union[ProductLinesSubject, _Mapping]] = ...) -> None: ...

class ChangeValue(_message.Message):
    __slots__ = ("number", "status", "missing")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    number: float
    status: _agreements_pb2.AgreementStatus
    missing: bool
    def __init__(self, number: _Optional[float] = ..., status: _Optional[_Union[_agreements_pb2.AgreementStatus, str]] = ..., missing: _Optional[bool] = ...) -> None: ...

class DataChange(_message.Message):
    __slots__ = ("seq", "run_id", "source", "kind", "subject", "year", "old_value", "new_value", "commit_time")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    OLD_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEW_VALUE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    seq: int
    run_id: int
    source: str
    kind: ChangeKind
    subject: ChangeSubject
    year: int
    old_value: ChangeValue
    new_value: ChangeValue
    commit_time: _timestamp_pb2.Timestamp
    def __init__(self, seq: _Optional[int] = ..., run_id: _Optional[int] = ..., source: _Optional[str] = ..., kind: _Optional[_Union[ChangeKind, str]] = ..., subject: _Optional[_Union[ChangeSubject, _Mapping]] = ..., year: _Optional[int] = ..., old_value: _Optional[_Union[ChangeValue, _Mapping]] = ..., new_value: _Optional[_Union[ChangeValue, _Mapping]] = ..., commit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchChangesRequest(_message.Message):
    __slots__ = ("after_seq", "source", "heartbeat_interval")
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    after_seq: int
    source: str
    heartbeat_interval: _duration_pb2.Duration
    def __init__(self, after_seq: _Optional[int] = ..., source: _Optional[str] = ..., heartbeat_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchChangesResponse(_message.Message):
    __slots__ = ("kind", "changes", "resume_after_seq")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    RESUME_AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    kind: WatchEventKind
    changes: _containers.RepeatedCompositeFieldContainer[DataChange]
    resume_after_seq: int
    def __init__(self, kind: _Optional[_Union[WatchEventKind, str]] = ..., changes: _Optional[_Iterable[_Union[DataChange, _Mapping]]] = ..., resume_after_seq: _Optional[int] = ...) -> None: ...
