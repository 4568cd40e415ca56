"""Turning Python arguments into request fields and messages into plain Python.

Arguments: dates (`as_of`, `vintage`) and enums (`status`, `view`, `flow`) are
accepted in the forms people write them; see `date_message` and `enum_value`.

Answers: `to_python` turns any tradepact message (or a list of them) into
dicts, lists and Python scalars, with the contract's conventions made explicit:
an unset `optional` figure is None (never 0), a `google.type.Date` is an ISO
8601 string at the precision the sources give ("2015-12-20", "2015-12",
"2015"), timestamps are timezone-aware `datetime`s, durations `timedelta`s and
enums their full names ("AGREEMENT_STATUS_IN_FORCE").
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.message import Message
from google.type import date_pb2

_DATE_TEXT = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def format_date(date: date_pb2.Date | None) -> str | None:
    """A `google.type.Date` as ISO 8601 text at its precision.

    tradepact leaves month and day 0 when the sources do not give them, so
    `Date(year=2020, month=10)` is "2020-10" (some day in October 2020) and
    `Date(year=2015)` is "2015". Returns None for None or an all-zero Date
    (an unknown date is an unset field in tradepact's answers).
    """
    if date is None or not date.year:
        return None
    if not date.month:
        return f"{date.year:04d}"
    if not date.day:
        return f"{date.year:04d}-{date.month:02d}"
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


def date_message(value: Any, field: str) -> date_pb2.Date | None:
    """A request date from `value`: None (unset), a `datetime.date` (or
    `datetime`), ISO text ("2015-12-20", or "2015-12" / "2015" where the server
    accepts a partial date) or a `google.type.Date`.

    Raises TypeError or ValueError (naming `field`) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, date_pb2.Date):
        return value
    if isinstance(value, _dt.date):  # datetime.datetime is a date too
        return date_pb2.Date(year=value.year, month=value.month, day=value.day)
    if isinstance(value, str):
        match = _DATE_TEXT.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"{field}: {value!r} is not a date as YYYY-MM-DD (or YYYY-MM, YYYY)")
        year, month, day = (int(part) if part else 0 for part in match.groups())
        return date_pb2.Date(year=year, month=month, day=day)
    raise TypeError(
        f"{field}: expected a datetime.date, 'YYYY-MM-DD' text or a google.type.Date, "
        f"not {type(value).__name__}"
    )


def enum_value(enum_type: Any, prefix: str, value: Any, field: str) -> Any:
    """The number (an int) of an enum value given as None (UNSPECIFIED, 0), an int (or
    the generated enum constant), its full name ("TRADE_FLOW_EXPORT") or its
    short name in any case ("export", "in_force", "in-force").

    Raises ValueError (naming `field` and the accepted names) for an unknown
    name and TypeError for other types.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError(f"{field}: expected a name or number of {enum_type.DESCRIPTOR.name}, not a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        name = re.sub(r"[\s-]+", "_", value.strip()).upper()
        if not name.startswith(prefix):
            name = prefix + name
        if name in enum_type.keys():
            return enum_type.Value(name)
        accepted = ", ".join(
            key[len(prefix) :].lower() for key in enum_type.keys() if not key.endswith("_UNSPECIFIED")
        )
        raise ValueError(f"{field}: unknown value {value!r}; one of: {accepted}")
    raise TypeError(
        f"{field}: expected a name or number of {enum_type.DESCRIPTOR.name}, "
        f"not {type(value).__name__}"
    )


def is_repeated(field: Any) -> bool:
    """Whether a FieldDescriptor is repeated (protobuf 7 has `is_repeated`;
    older releases only `label`)."""
    repeated = getattr(field, "is_repeated", None)
    if repeated is not None:
        return bool(repeated)
    return field.label == field.LABEL_REPEATED


def is_map(field: Any) -> bool:
    """Whether a FieldDescriptor is a map field."""
    return (
        is_repeated(field)
        and field.message_type is not None
        and field.message_type.GetOptions().map_entry
    )


def _special(message: Message) -> tuple[bool, Any]:
    """(True, value) for the message types with a plain Python equivalent."""
    if isinstance(message, date_pb2.Date):
        return True, format_date(message)
    if isinstance(message, timestamp_pb2.Timestamp):
        return True, message.ToDatetime(tzinfo=_dt.timezone.utc)
    if isinstance(message, duration_pb2.Duration):
        return True, message.ToTimedelta()
    return False, None


def _scalar(field: Any, value: Any) -> Any:
    """A scalar field's value, enums as their names."""
    if field.enum_type is not None:
        known = field.enum_type.values_by_number.get(value)
        return known.name if known is not None else value
    return value


def to_python(value: Any) -> Any:
    """Plain Python for a tradepact answer: a message becomes a dict keyed by
    the .proto field names, a list (or other iterable) of messages a list.

    Every field is present in the dict: unset `optional` scalars and unset
    message fields are None; repeated fields are lists, maps dicts; enums are
    their full names; `google.type.Date` is ISO text at its precision (see
    `format_date`); `Timestamp` an aware `datetime` (UTC); `Duration` a
    `timedelta`.
    """
    if isinstance(value, Message):
        special, plain = _special(value)
        if special:
            return plain
        return {field.name: field_value(value, field) for field in value.DESCRIPTOR.fields}
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, Iterable):
        return [to_python(item) for item in value]
    return value


def field_value(message: Message, field: Any) -> Any:
    """One field of `message` as `to_python` gives it."""
    raw = getattr(message, field.name)
    if is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        return {
            key: (to_python(item) if value_field.message_type is not None else _scalar(value_field, item))
            for key, item in raw.items()
        }
    if is_repeated(field):
        if field.message_type is not None:
            return [to_python(item) for item in raw]
        return [_scalar(field, item) for item in raw]
    if field.has_presence and not message.HasField(field.name):
        return None
    if field.message_type is not None:
        return to_python(raw)
    return _scalar(field, raw)
