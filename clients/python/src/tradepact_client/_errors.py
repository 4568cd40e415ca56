"""`TradepactError`: a failed call with the server's rich error details read.

Every error tradepact answers carries a `google.rpc.Status` in the
`grpc-status-details-bin` trailer. Its `details` are `Any` messages:
`google.rpc.ErrorInfo` (a machine-readable `reason` such as FIELD_INVALID or
AGREEMENT_NOT_FOUND, domain "tradepact.dev", and `metadata`),
`google.rpc.BadRequest` (which request fields were wrong and why) and, for
NOT_FOUND, `google.rpc.ResourceInfo`. `TradepactError.from_rpc_error` decodes
them with `grpc_status.rpc_status.from_call`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

# The google.rpc detail types by full name ("google.rpc.ErrorInfo"), so that
# every standard detail is unpacked, not only the three tradepact sends today.
_DETAIL_TYPES: dict[str, type[Message]] = {
    descriptor.full_name: getattr(error_details_pb2, name)
    for name, descriptor in error_details_pb2.DESCRIPTOR.message_types_by_name.items()
}


@dataclass(frozen=True)
class FieldViolation:
    """One entry of `google.rpc.BadRequest.field_violations`: the request field
    at fault (its .proto name, e.g. "page_size") and why."""

    field: str
    """The request field, as named in the .proto file ("page_size", "as_of")."""
    description: str
    """Why it was refused ("page_size: -1 is negative")."""
    reason: str = ""
    """A machine-readable reason for this field, when the server gives one."""


@dataclass(eq=False, repr=False)
class TradepactError(Exception):
    """A tradepact call that failed, with the details the server attached.

    Raised by every `Client` method instead of `grpc.RpcError` (which is kept
    as `__cause__`). Transport failures (UNAVAILABLE, DEADLINE_EXCEEDED) are
    TradepactErrors too, with no details (`reason` None).
    """

    code: grpc.StatusCode
    """The gRPC status code (`grpc.StatusCode.INVALID_ARGUMENT`...)."""
    message: str
    """The status message, for people ("page_size: -1 is negative")."""
    reason: str | None = None
    """`ErrorInfo.reason`, for programs: FIELD_INVALID, FIELD_REQUIRED,
    AGREEMENT_NOT_FOUND, TRADE_DATA_NOT_HELD...; None without an ErrorInfo."""
    domain: str | None = None
    """`ErrorInfo.domain` ("tradepact.dev"); None without an ErrorInfo."""
    metadata: dict[str, str] = field(default_factory=dict)
    """`ErrorInfo.metadata` (e.g. {"field": "page_size"})."""
    field_violations: list[FieldViolation] = field(default_factory=list)
    """`BadRequest.field_violations`: every request field at fault."""
    resource_type: str | None = None
    """`ResourceInfo.resource_type` of a NOT_FOUND answer; None otherwise."""
    resource_name: str | None = None
    """`ResourceInfo.resource_name` of a NOT_FOUND answer; None otherwise."""
    details: list[Message] = field(default_factory=list)
    """Every detail, unpacked: google.rpc messages (ErrorInfo, BadRequest,
    ResourceInfo, ...); a detail of another type stays a
    `google.protobuf.Any`."""
    status: status_pb2.Status | None = None
    """The decoded `google.rpc.Status`; None when the call carried none."""

    def __post_init__(self) -> None:
        """Sets the exception's args to (code, message)."""
        super().__init__(self.code, self.message)

    def __repr__(self) -> str:
        """`TradepactError(INVALID_ARGUMENT, 'page_size: -1 is negative', reason='FIELD_INVALID')`."""
        return f"TradepactError({self.code.name}, {self.message!r}, reason={self.reason!r})"

    def __str__(self) -> str:
        """The code and message, then the reason, field violations and resource."""
        text = f"{self.code.name}: {self.message}"
        extras = []
        if self.reason:
            extras.append(f"reason {self.reason}")
        extras.extend(f"field {v.field}: {v.description}" for v in self.field_violations)
        if self.resource_type is not None:
            extras.append(f"{self.resource_type} {self.resource_name!r}")
        return f"{text} ({'; '.join(extras)})" if extras else text

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> TradepactError:
        """Reads a failed call (the `grpc.RpcError` a stub raised, which is also
        a `grpc.Call`): its code and message and the details in its
        `grpc-status-details-bin` trailer."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = (error.details() if hasattr(error, "details") else None) or ""
        try:
            status = rpc_status.from_call(cast(grpc.Call, error))
        except (ValueError, DecodeError):
            # A trailer that contradicts the call's own status, or garbage:
            # not the server's details; keep the call's code and message.
            status = None
        found = cls(code=code, message=message, status=status)
        if status is None:
            return found
        for detail in status.details:
            found._add(detail)
        return found

    def _add(self, detail: any_pb2.Any) -> None:
        """Unpacks one `Status.details` entry and fills the attributes it carries."""
        message_type = _DETAIL_TYPES.get(detail.TypeName())
        if message_type is None:
            self.details.append(detail)
            return
        message = message_type()
        if not detail.Unpack(message):
            self.details.append(detail)
            return
        self.details.append(message)
        if isinstance(message, error_details_pb2.ErrorInfo):
            self.reason = message.reason
            self.domain = message.domain
            self.metadata = dict(message.metadata)
        elif isinstance(message, error_details_pb2.BadRequest):
            self.field_violations.extend(
                FieldViolation(field=v.field, description=v.description, reason=v.reason)
                for v in message.field_violations
            )
        elif isinstance(message, error_details_pb2.ResourceInfo):
            self.resource_type = message.resource_type
            self.resource_name = message.resource_name

    def detail(self, message_type: type[Any]) -> Any | None:
        """The first detail of `message_type` (e.g.
        `error_details_pb2.RetryInfo`), or None."""
        return next((d for d in self.details if isinstance(d, message_type)), None)
