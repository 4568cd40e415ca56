"""Pre-framed gRPC request bodies for h2load: one file per benchmarked call.

Each body is the 5-byte gRPC prefix (compressed flag, big-endian length) and a
protobuf message written by hand: the messages are tiny and fixed, and this
keeps the benchmark free of any client library.
"""

import struct
import sys
from pathlib import Path


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string(field: int, text: str) -> bytes:
    data = text.encode()
    return varint(field << 3 | 2) + varint(len(data)) + data


def number(field: int, value: int) -> bytes:
    return varint(field << 3) + varint(value)


def frame(message: bytes) -> bytes:
    return b"\x00" + struct.pack(">I", len(message)) + message


# name → (path, message)
CALLS = {
    "health": ("/grpc.health.v1.Health/Check", b""),
    "get_agreement": (
        "/tradepact.v1.AgreementService/GetAgreement",
        string(1, "kor-khm"),
    ),
    "bilateral_trade": (
        "/tradepact.v1.TradeService/GetBilateralTrade",
        string(1, "KOR") + string(2, "KHM") + number(3, 2010) + number(4, 2024),
    ),
    "list_agreements": (
        "/tradepact.v1.AgreementService/ListAgreements",
        string(1, "KOR"),
    ),
    "rank_partners": (
        "/tradepact.v1.TradeService/RankPartners",
        string(1, "KOR") + number(2, 2019) + number(3, 1) + string(6, "KHM"),
    ),
    "product_breakdown": (
        "/tradepact.v1.TradeService/GetProductBreakdown",
        string(1, "KOR") + string(2, "KHM") + number(3, 2019) + number(4, 1),
    ),
    # On the large store (examples/large_store.rs): Korea's top 10 export
    # destinations among 230, and its top 20 HS6 exports to China among 5,000.
    "rank_partners_large": (
        "/tradepact.v1.TradeService/RankPartners",
        string(1, "KOR") + number(2, 2024) + number(3, 1),
    ),
    "product_breakdown_large": (
        "/tradepact.v1.TradeService/GetProductBreakdown",
        string(1, "KOR")
        + string(2, "CHN")
        + number(3, 2024)
        + number(4, 1)
        + number(5, 6)
        + number(7, 20),
    ),
}

if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, (path, message) in CALLS.items():
        (out / f"{name}.grpc").write_bytes(frame(message))
        (out / f"{name}.path").write_text(path)
