"""TriggerRefresh for bench/ingest, without a gRPC library.

Requests are framed and responses decoded by hand (the messages are small),
and sent with nghttp, which comes with h2load in Debian's nghttp2-client.

  ingest_rpc.py trigger ADDR TOKEN   TriggerRefresh(comtrade), which answers at
                                     once with the RUNNING run, then GetRefreshRun
                                     until it has ended; prints
                                     "<unix ns> <STATE> <rows> <changes> <error>"
"""

import struct
import subprocess
import sys
import time

# The protobuf field encoders and the gRPC frame bench/payloads.py writes
# the benchmark requests with (bench/ is on the path: scripts run from it).
from payloads import frame, number, string

# How often GetRefreshRun asks whether the run has ended. The end printed is
# when an answer said so, so a run is measured up to this much long; each
# poll starts a client process, so polling faster would itself load these
# two CPUs inside the window whose p99 bench/ingest measures.
POLL_S = 0.25

STATES = {
    0: "UNSPECIFIED", 1: "RUNNING", 2: "SUCCEEDED", 3: "UNCHANGED", 4: "FAILED",
    5: "SKIPPED", 6: "SKIPPED_OVERLAP", 7: "CANCELLED", 8: "INTERRUPTED",
}
SERVICE = "/tradepact.v1.RefreshService/"


def fields(message: bytes):
    """(field number, value) pairs: ints for varints, bytes for the rest."""
    position = 0
    while position < len(message):
        key, position = read_varint(message, position)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, position = read_varint(message, position)
        elif wire == 2:
            length, position = read_varint(message, position)
            value = message[position : position + length]
            position += length
        elif wire == 1:
            value, position = message[position : position + 8], position + 8
        elif wire == 5:
            value, position = message[position : position + 4], position + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield field, value


def read_varint(data: bytes, position: int):
    value, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


def run_of(message: bytes) -> dict:
    run = {"id": 0, "source": "", "state": "UNSPECIFIED", "rows": 0, "changes": 0, "error": ""}
    for field, value in fields(message):
        if field == 1:
            run["id"] = value
        elif field == 2:
            run["source"] = value.decode()
        elif field == 3:
            run["state"] = STATES.get(value, str(value))
        elif field == 7:
            run["rows"] = value
        elif field == 8:
            run["changes"] = value
        elif field == 9:
            run["error"] = value.decode()
    return run


def call(addr: str, method: str, message: bytes, token: str, timeout: float) -> bytes:
    result = subprocess.run(
        [
            "nghttp", "-H", "content-type: application/grpc", "-H", "te: trailers",
            "-H", f"authorization: Bearer {token}", "-d", "-", f"http://{addr}{SERVICE}{method}",
        ],
        input=frame(message), capture_output=True, timeout=timeout, check=False,
    )
    body = result.stdout
    if len(body) < 5:
        raise RuntimeError(f"{method}: no answer ({result.stderr.decode(errors='replace').strip()})")
    length = struct.unpack(">I", body[1:5])[0]
    return body[5 : 5 + length]


def main() -> None:
    command, addr, token = sys.argv[1], sys.argv[2], sys.argv[3]
    if command == "trigger":
        run = run_of(call(addr, "TriggerRefresh", string(1, "comtrade"), token, 60))
        while run["state"] == "RUNNING":
            time.sleep(POLL_S)
            run = run_of(call(addr, "GetRefreshRun", number(1, run["id"]), token, 60))
        print(f"{time.time_ns()} {run['state']} {run['rows']} {run['changes']} {run['error']}")
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
