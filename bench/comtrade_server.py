"""A local stand-in for Comtrade's keyed API, serving what ingest_data.py wrote.

  GET .../files/v1/app/reference/Reporters.json  the reference list
  GET .../data/v1/get/C/A/HS?cmdCode=TOTAL&period=Y  that year's totals
  GET .../data/v1/get/C/A/HS?cmdCode=AG6&period=Y&flowCode=F&partnerCode=a,b
                                                the named partners' records,
                                                spliced into one answer
  any other data request                        an empty answer

Answers go out with a Content-Length, record pieces by sendfile, over
HTTP/1.1 keep-alive. Usage: comtrade_server.py DATA_DIR PORT_FILE
"""

import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

EMPTY = b'{"elapsedTime":"0.01 secs","count":0,"data":[],"error":""}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    data: Path = Path()
    pieces: dict = {}

    def setup(self) -> None:
        super().setup()
        # No Nagle: a small answer goes out as two writes (head, body), and
        # the second must not wait for the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def head(self, length: int, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def send_bytes(self, body: bytes, status: int = 200) -> None:
        self.head(len(body), status)
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.endswith("/files/v1/app/reference/Reporters.json"):
            return self.send_bytes((self.data / "reporters.json").read_bytes())
        if not url.path.endswith("/data/v1/get/C/A/HS"):
            return self.send_bytes(b'{"statusCode":404,"message":"not here"}', 404)
        period, cmd = query.get("period", ""), query.get("cmdCode", "")
        if cmd == "TOTAL":
            totals = self.data / "totals" / f"{period}.json"
            return self.send_bytes(totals.read_bytes() if totals.exists() else EMPTY)
        if cmd != "AG6":
            return self.send_bytes(EMPTY)
        names = [
            f"{period}/{flow}/{code}"
            for flow in query.get("flowCode", "").split(",")
            for code in query.get("partnerCode", "").split(",")
        ]
        found = [(name, self.pieces[name]) for name in names if name in self.pieces]
        count = sum(records for _, (records, _) in found)
        opening = b'{"elapsedTime":"2.5 secs","count":%d,"data":[' % count
        closing = b'],"error":""}'
        sizes = [size for _, (_, size) in found]
        self.head(len(opening) + sum(sizes) + max(len(found) - 1, 0) + len(closing))
        self.wfile.write(opening)
        for index, (name, _) in enumerate(found):
            if index:
                self.wfile.write(b",")
            with open(self.data / "lines" / f"{name}.json", "rb") as piece:
                self.connection.sendfile(piece)
        self.wfile.write(closing)


def main() -> None:
    data, port_file = Path(sys.argv[1]), Path(sys.argv[2])
    Handler.data = data
    Handler.pieces = json.loads((data / "index.json").read_text())["pieces"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
