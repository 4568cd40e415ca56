"""tradepact_client: a thin Python client for the tradepact gRPC service.

    from tradepact_client import Client, TradepactError, to_dataframe

    with Client("localhost:50051") as client:
        for agreement in client.agreements(party="KOR", status="in_force"):
            print(agreement.id, agreement.name)
        trade = client.bilateral_trade("KOR", "KHM", start_year=2019, end_year=2019)
        print(trade.years[0].total_usd)          # 1033000000.0, as Korea reports it
        try:
            client.agreement("kor-xyz")
        except TradepactError as error:
            print(error.code, error.reason)      # StatusCode.NOT_FOUND AGREEMENT_NOT_FOUND

What is here:

- `Client`: one method per question, returning the contract's messages;
  listings follow page tokens and return lists. A `dns:///` target gets the
  round_robin load-balancing policy (read replicas, deploy/REPLICAS.md),
  and the questions are retried on UNAVAILABLE (the next replica answers);
  `channel_options` gives the same options for channels of your own.
- `TradepactError` (and `FieldViolation`): what every method raises when a
  call fails, with the server's `google.rpc` error details read.
- `to_python`: any answer as dicts, lists and Python scalars; `format_date`
  for a `google.type.Date` at its precision.
- `to_dataframe`: any answer as a pandas DataFrame (needs pandas: the
  `pandas` extra).
- `tradepact_client.v1`: the generated modules of the contract
  (`agreements_pb2`, `agreements_pb2_grpc`, ...), for stubs of your own.
"""

from tradepact_client import v1
from tradepact_client._client import (
    DEFAULT_TIMEOUT_S,
    LOAD_BALANCING_POLICIES,
    Client,
    channel_options,
)
from tradepact_client._errors import FieldViolation, TradepactError
from tradepact_client._values import format_date, to_python
from tradepact_client.frames import to_dataframe

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "LOAD_BALANCING_POLICIES",
    "Client",
    "FieldViolation",
    "TradepactError",
    "channel_options",
    "format_date",
    "to_dataframe",
    "to_python",
    "v1",
]

__version__ = "0.1.0"
