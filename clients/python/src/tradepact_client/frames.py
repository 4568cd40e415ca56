"""pandas DataFrames from tradepact answers (optional: needs pandas).

    from tradepact_client import Client, to_dataframe
    frame = to_dataframe(Client("localhost:50051").bilateral_trade("KOR", "KHM"))

pandas is imported only when `to_dataframe` is called; without it the call
raises ImportError saying how to install it (`pip install
'tradepact-client[pandas]'`). Everything else in tradepact_client works without
pandas.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from google.protobuf import descriptor
from google.protobuf.message import Message

from tradepact_client._values import field_value, is_map, is_repeated, to_python
from tradepact_client.v1 import common_pb2, indicators_pb2, trade_pb2

if TYPE_CHECKING:  # pragma: no cover
    import pandas

PANDAS_MISSING = (
    "tradepact_client.to_dataframe needs pandas, which is not installed: "
    "pip install 'tradepact-client[pandas]' (or pip install pandas)"
)


# Integer field types: with presence, their columns are the nullable Int64.
_INTEGER_TYPES = {
    descriptor.FieldDescriptor.CPPTYPE_INT32,
    descriptor.FieldDescriptor.CPPTYPE_INT64,
    descriptor.FieldDescriptor.CPPTYPE_UINT32,
    descriptor.FieldDescriptor.CPPTYPE_UINT64,
}


def _pandas() -> Any:
    """The pandas module, or ImportError with the install command."""
    try:
        import pandas
    except ImportError as error:
        raise ImportError(PANDAS_MISSING, name="pandas") from error
    return pandas


def row(message: Message) -> dict[str, Any]:
    """One message as a flat DataFrame row keyed by its .proto field names.

    As `to_python`, but flat: a `Party` is its code, a list of parties a list
    of codes, `sources` the list of their publishers; other nested messages
    and lists of messages (an agreement's `events`, a trade year's
    `alternatives`) are left out: read them from the message itself.
    """
    out: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        nested = field.message_type
        if nested is None or is_map(field):
            out[field.name] = field_value(message, field)
        elif is_repeated(field):
            items = getattr(message, field.name)
            if nested is common_pb2.Party.DESCRIPTOR:
                out[field.name] = [party.code for party in items]
            elif nested is common_pb2.Source.DESCRIPTOR:
                out[field.name] = [source.publisher for source in items]
            elif nested.full_name.startswith("google."):
                out[field.name] = [to_python(item) for item in items]
            # other lists of messages: left out
        elif nested is common_pb2.Party.DESCRIPTOR:
            out[field.name] = getattr(message, field.name).code if message.HasField(field.name) else None
        elif nested.full_name.startswith("google."):
            out[field.name] = field_value(message, field)  # Date, Timestamp, Duration
        # other messages: left out
    return out


def _frame(
    rows: list[dict[str, Any]], message_type: type[Message] | None, leading: tuple[str, ...] = ()
) -> pandas.DataFrame:
    """The DataFrame of `rows` (made by `row` from `message_type`, after the
    `leading` columns), with dtypes from the contract: floating-point fields
    are float64 (NaN where unset) and integer fields with presence the
    nullable Int64 (<NA> where unset), even when every value is unset."""
    pd = _pandas()
    columns = None if message_type is None else [*leading, *row(message_type()).keys()]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    if message_type is None:
        return frame
    for field in message_type.DESCRIPTOR.fields:
        if field.name not in frame.columns or is_repeated(field) or field.message_type is not None:
            continue
        if field.cpp_type in (field.CPPTYPE_DOUBLE, field.CPPTYPE_FLOAT):
            frame[field.name] = frame[field.name].astype("float64")
        elif field.has_presence and field.cpp_type in _INTEGER_TYPES:
            frame[field.name] = frame[field.name].astype("Int64")
    return frame


def to_dataframe(answer: Any) -> pandas.DataFrame:
    """A pandas DataFrame of a tradepact answer, one row per item.

    Accepts what the `Client` methods return:

    - a list of messages (`agreements()`, `rounds()`, `economies()`,
      `indicators()`): one row per message, a column per field (see `row`);
    - `bilateral_trade()`: the `years` then the `mirror_years`, with a column
      `series` ("years" or "mirror_years") before the `TradeYear` fields;
    - `rank_partners()`: `entries` then `quoted_entries`, with a column
      `quoted` (False / True);
    - `products()`: its `products`, with `quoted` in `frame.attrs`;
    - `indicator_series()`: its `points`, with `name` and `unit` in
      `frame.attrs`;
    - any single message: one row.

    Unset optional figures are NaN (None in text columns), never 0; dates are
    ISO text at their precision ("2020-10" for some day in October 2020);
    enums their full names.

    Raises:
        ImportError: pandas is not installed.
        TypeError: `answer` is none of the above.
    """
    _pandas()
    if isinstance(answer, trade_pb2.GetBilateralTradeResponse):
        rows = [{"series": "years", **row(y)} for y in answer.years]
        rows += [{"series": "mirror_years", **row(y)} for y in answer.mirror_years]
        return _frame(rows, trade_pb2.TradeYear, ("series",))
    if isinstance(answer, trade_pb2.RankPartnersResponse):
        rows = [{"quoted": False, **row(e)} for e in answer.entries]
        rows += [{"quoted": True, **row(e)} for e in answer.quoted_entries]
        return _frame(rows, trade_pb2.PartnerRank, ("quoted",))
    if isinstance(answer, trade_pb2.GetProductBreakdownResponse):
        frame = _frame([row(p) for p in answer.products], trade_pb2.ProductShare)
        frame.attrs["quoted"] = answer.quoted
        return frame
    if isinstance(answer, indicators_pb2.GetIndicatorSeriesResponse):
        frame = _frame([row(p) for p in answer.points], indicators_pb2.IndicatorPoint)
        frame.attrs["name"] = answer.name
        frame.attrs["unit"] = answer.unit
        return frame
    if isinstance(answer, Message):
        return _frame([row(answer)], type(answer))
    if isinstance(answer, Iterable) and not isinstance(answer, (str, bytes, dict)):
        items = list(answer)
        if not all(isinstance(item, Message) for item in items):
            raise TypeError("to_dataframe: expected tradepact messages in the list")
        types = {type(item) for item in items}
        if len(types) > 1:
            raise TypeError(f"to_dataframe: the list mixes {sorted(t.__name__ for t in types)}")
        return _frame([row(item) for item in items], types.pop() if types else None)
    raise TypeError(f"to_dataframe: cannot make a DataFrame of {type(answer).__name__}")
