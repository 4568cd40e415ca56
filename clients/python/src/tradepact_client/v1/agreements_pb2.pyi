from google.type import date_pb2 as _date_pb2
from tradepact_client.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgreementStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGREEMENT_STATUS_UNSPECIFIED: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_PROPOSED: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_JOINT_STUDY: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_NEGOTIATING: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_SUSPENDED: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_CONCLUDED: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_SIGNED: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_IN_FORCE: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_TERMINATED: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_PROVISIONALLY_APPLIED: _ClassVar[AgreementStatus]
    AGREEMENT_STATUS_NOT_YET_EXISTING: _ClassVar[AgreementStatus]

class Coverage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COVERAGE_UNSPECIFIED: _ClassVar[Coverage]
    COVERAGE_GOODS: _ClassVar[Coverage]
    COVERAGE_SERVICES: _ClassVar[Coverage]
    COVERAGE_GOODS_AND_SERVICES: _ClassVar[Coverage]

class AgreementKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGREEMENT_KIND_UNSPECIFIED: _ClassVar[AgreementKind]
    AGREEMENT_KIND_FREE_TRADE_AGREEMENT: _ClassVar[AgreementKind]
    AGREEMENT_KIND_CUSTOMS_UNION: _ClassVar[AgreementKind]
    AGREEMENT_KIND_ECONOMIC_INTEGRATION_AGREEMENT: _ClassVar[AgreementKind]
    AGREEMENT_KIND_PARTIAL_SCOPE_AGREEMENT: _ClassVar[AgreementKind]
    AGREEMENT_KIND_DIGITAL_TRADE_AGREEMENT: _ClassVar[AgreementKind]
    AGREEMENT_KIND_FRAMEWORK_AGREEMENT: _ClassVar[AgreementKind]
    AGREEMENT_KIND_AMENDMENT: _ClassVar[AgreementKind]

class MeetingFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEETING_FORMAT_UNSPECIFIED: _ClassVar[MeetingFormat]
    MEETING_FORMAT_IN_PERSON: _ClassVar[MeetingFormat]
    MEETING_FORMAT_VIRTUAL: _ClassVar[MeetingFormat]
    MEETING_FORMAT_HYBRID: _ClassVar[MeetingFormat]

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_PROPOSED: _ClassVar[EventKind]
    EVENT_KIND_JOINT_STUDY: _ClassVar[EventKind]
    EVENT_KIND_LAUNCHED: _ClassVar[EventKind]
    EVENT_KIND_ROUND: _ClassVar[EventKind]
    EVENT_KIND_SUSPENDED: _ClassVar[EventKind]
    EVENT_KIND_RESUMED: _ClassVar[EventKind]
    EVENT_KIND_CONCLUDED: _ClassVar[EventKind]
    EVENT_KIND_INITIALLED: _ClassVar[EventKind]
    EVENT_KIND_SIGNED: _ClassVar[EventKind]
    EVENT_KIND_RATIFIED: _ClassVar[EventKind]
    EVENT_KIND_ENTERED_INTO_FORCE: _ClassVar[EventKind]
    EVENT_KIND_NOTIFIED_TO_WTO: _ClassVar[EventKind]
    EVENT_KIND_JOINT_COMMITTEE: _ClassVar[EventKind]
    EVENT_KIND_TERMINATED: _ClassVar[EventKind]
    EVENT_KIND_PROVISIONALLY_APPLIED: _ClassVar[EventKind]
    EVENT_KIND_OTHER: _ClassVar[EventKind]
    EVENT_KIND_WITHDRAWN: _ClassVar[EventKind]

class AgreementView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGREEMENT_VIEW_UNSPECIFIED: _ClassVar[AgreementView]
    AGREEMENT_VIEW_BASIC: _ClassVar[AgreementView]
    AGREEMENT_VIEW_FULL: _ClassVar[AgreementView]
AGREEMENT_STATUS_UNSPECIFIED: AgreementStatus
AGREEMENT_STATUS_PROPOSED: AgreementStatus
AGREEMENT_STATUS_JOINT_STUDY: AgreementStatus
AGREEMENT_STATUS_NEGOTIATING: AgreementStatus
AGREEMENT_STATUS_SUSPENDED: AgreementStatus
AGREEMENT_STATUS_CONCLUDED: AgreementStatus
AGREEMENT_STATUS_SIGNED: AgreementStatus
AGREEMENT_STATUS_IN_FORCE: AgreementStatus
AGREEMENT_STATUS_TERMINATED: AgreementStatus
AGREEMENT_STATUS_PROVISIONALLY_APPLIED: AgreementStatus
AGREEMENT_STATUS_NOT_YET_EXISTING: AgreementStatus
COVERAGE_UNSPECIFIED: Coverage
COVERAGE_GOODS: Coverage
COVERAGE_SERVICES: Coverage
COVERAGE_GOODS_AND_SERVICES: Coverage
AGREEMENT_KIND_UNSPECIFIED: AgreementKind
AGREEMENT_KIND_FREE_TRADE_AGREEMENT: AgreementKind
AGREEMENT_KIND_CUSTOMS_UNION: AgreementKind
AGREEMENT_KIND_ECONOMIC_INTEGRATION_AGREEMENT: AgreementKind
AGREEMENT_KIND_PARTIAL_SCOPE_AGREEMENT: AgreementKind
AGREEMENT_KIND_DIGITAL_TRADE_AGREEMENT: AgreementKind
AGREEMENT_KIND_FRAMEWORK_AGREEMENT: AgreementKind
AGREEMENT_KIND_AMENDMENT: AgreementKind
MEETING_FORMAT_UNSPECIFIED: MeetingFormat
MEETING_FORMAT_IN_PERSON: MeetingFormat
MEETING_FORMAT_VIRTUAL: MeetingFormat
MEETING_FORMAT_HYBRID: MeetingFormat
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_PROPOSED: EventKind
EVENT_KIND_JOINT_STUDY: EventKind
EVENT_KIND_LAUNCHED: EventKind
EVENT_KIND_ROUND: EventKind
EVENT_KIND_SUSPENDED: EventKind
EVENT_KIND_RESUMED: EventKind
EVENT_KIND_CONCLUDED: EventKind
EVENT_KIND_INITIALLED: EventKind
EVENT_KIND_SIGNED: EventKind
EVENT_KIND_RATIFIED: EventKind
EVENT_KIND_ENTERED_INTO_FORCE: EventKind
EVENT_KIND_NOTIFIED_TO_WTO: EventKind
EVENT_KIND_JOINT_COMMITTEE: EventKind
EVENT_KIND_TERMINATED: EventKind
EVENT_KIND_PROVISIONALLY_APPLIED: EventKind
EVENT_KIND_OTHER: EventKind
EVENT_KIND_WITHDRAWN: EventKind
AGREEMENT_VIEW_UNSPECIFIED: AgreementView
AGREEMENT_VIEW_BASIC: AgreementView
AGREEMENT_VIEW_FULL: AgreementView

class AlternativeDate(_message.Message):
    __slots__ = ("start", "end", "sources")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    start: _date_pb2.Date
    end: _date_pb2.Date
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.Source]
    def __init__(self, start: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.Source, _Mapping]]] = ...) -> None: ...

class AgreementEvent(_message.Message):
    __slots__ = ("kind", "start", "end", "round_number", "format", "venue", "party", "note", "sources", "conflicts", "coverage")
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    ROUND_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    VENUE_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    kind: EventKind
    start: _date_pb2.Date
    end: _date_pb2.Date
    round_number: int
    format: MeetingFormat
    venue: str
    party: _common_pb2.Party
    note: str
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.Source]
    conflicts: _containers.RepeatedCompositeFieldContainer[AlternativeDate]
    coverage: Coverage
    def __init__(self, kind: _Optional[_Union[EventKind, str]] = ..., start: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., round_number: _Optional[int] = ..., format: _Optional[_Union[MeetingFormat, str]] = ..., venue: _Optional[str] = ..., party: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., note: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.Source, _Mapping]]] = ..., conflicts: _Optional[_Iterable[_Union[AlternativeDate, _Mapping]]] = ..., coverage: _Optional[_Union[Coverage, str]] = ...) -> None: ...

class WtoListing(_message.Message):
    __slots__ = ("rta_id", "types", "coverage", "composition", "regions", "accession_to", "status")
    RTA_ID_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    COMPOSITION_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    ACCESSION_TO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    rta_id: int
    types: _containers.RepeatedScalarFieldContainer[str]
    coverage: Coverage
    composition: str
    regions: _containers.RepeatedScalarFieldContainer[str]
    accession_to: str
    status: str
    def __init__(self, rta_id: _Optional[int] = ..., types: _Optional[_Iterable[str]] = ..., coverage: _Optional[_Union[Coverage, str]] = ..., composition: _Optional[str] = ..., regions: _Optional[_Iterable[str]] = ..., accession_to: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class PartyStatus(_message.Message):
    __slots__ = ("party", "status", "status_since", "via")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_SINCE_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    party: _common_pb2.Party
    status: AgreementStatus
    status_since: _date_pb2.Date
    via: _common_pb2.Party
    def __init__(self, party: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., status: _Optional[_Union[AgreementStatus, str]] = ..., status_since: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., via: _Optional[_Union[_common_pb2.Party, _Mapping]] = ...) -> None: ...

class Agreement(_message.Message):
    __slots__ = ("id", "name", "designation", "parties", "status", "status_since", "events", "sources", "note", "kinds", "wto", "party_statuses")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESIGNATION_FIELD_NUMBER: _ClassVar[int]
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_SINCE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    WTO_FIELD_NUMBER: _ClassVar[int]
    PARTY_STATUSES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    designation: str
    parties: _containers.RepeatedCompositeFieldContainer[_common_pb2.Party]
    status: AgreementStatus
    status_since: _date_pb2.Date
    events: _containers.RepeatedCompositeFieldContainer[AgreementEvent]
    sources: _containers.RepeatedCompositeFieldContainer[_common_pb2.Source]
    note: str
    kinds: _containers.RepeatedScalarFieldContainer[AgreementKind]
    wto: WtoListing
    party_statuses: _containers.RepeatedCompositeFieldContainer[PartyStatus]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., designation: _Optional[str] = ..., parties: _Optional[_Iterable[_Union[_common_pb2.Party, _Mapping]]] = ..., status: _Optional[_Union[AgreementStatus, str]] = ..., status_since: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., events: _Optional[_Iterable[_Union[AgreementEvent, _Mapping]]] = ..., sources: _Optional[_Iterable[_Union[_common_pb2.Source, _Mapping]]] = ..., note: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[AgreementKind, str]]] = ..., wto: _Optional[_Union[WtoListing, _Mapping]] = ..., party_statuses: _Optional[_Iterable[_Union[PartyStatus, _Mapping]]] = ...) -> None: ...

class GetAgreementRequest(_message.Message):
    __slots__ = ("id", "as_of", "view")
    ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    id: str
    as_of: _date_pb2.Date
    view: AgreementView
    def __init__(self, id: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., view: _Optional[_Union[AgreementView, str]] = ...) -> None: ...

class ListAgreementsRequest(_message.Message):
    __slots__ = ("party", "status", "as_of", "page_size", "page_token", "view", "query")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    party: str
    status: AgreementStatus
    as_of: _date_pb2.Date
    page_size: int
    page_token: str
    view: AgreementView
    query: str
    def __init__(self, party: _Optional[str] = ..., status: _Optional[_Union[AgreementStatus, str]] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., view: _Optional[_Union[AgreementView, str]] = ..., query: _Optional[str] = ...) -> None: ...

class ListAgreementsResponse(_message.Message):
    __slots__ = ("agreements", "next_page_token", "total_size")
    AGREEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    agreements: _containers.RepeatedCompositeFieldContainer[Agreement]
    next_page_token: str
    total_size: int
    def __init__(self, agreements: _Optional[_Iterable[_Union[Agreement, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListNegotiationRoundsRequest(_message.Message):
    __slots__ = ("agreement_id", "page_size", "page_token")
    AGREEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agreement_id: str
    page_size: int
    page_token: str
    def __init__(self, agreement_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNegotiationRoundsResponse(_message.Message):
    __slots__ = ("rounds", "next_page_token", "total_size")
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    rounds: _containers.RepeatedCompositeFieldContainer[AgreementEvent]
    next_page_token: str
    total_size: int
    def __init__(self, rounds: _Optional[_Iterable[_Union[AgreementEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...
