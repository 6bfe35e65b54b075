"""A webhook receiver for trying notifications on one machine (`model-jobs webhook-receiver`):
it prints every message POSTed to it and answers 200. Not for production: no TLS, no auth."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO

HOST = "127.0.0.1"
MAX_BODY = 1_000_000


def describe(path: str, body: bytes) -> str:
    """What one POST said: the message's text, then its fields as JSON (or the raw body)."""
    try:
        data = json.loads(body)
    except ValueError:
        return f"POST {path}\n{body.decode('utf-8', 'replace')}"
    text = data.get("text") if isinstance(data, dict) else None
    fields = json.dumps(data, sort_keys=True)
    return f"POST {path}\n{text}\n{fields}" if isinstance(text, str) else f"POST {path}\n{fields}"


def make_server(port: int, out: TextIO) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            body = self.rfile.read(length)
            stamp = datetime.now().strftime("%H:%M:%S")
            print(f"[{stamp}] {describe(self.path, body)}\n", file=out, flush=True)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass  # one block per message is printed above; no access log

    return ThreadingHTTPServer((HOST, port), Handler)


def serve(port: int, out: TextIO = sys.stdout) -> None:
    with make_server(port, out) as server:
        url = f"http://{HOST}:{server.server_address[1]}/"
        print(
            f"model-jobs webhook-receiver: printing what is POSTed to {url} (Ctrl+C stops it)\n"
            f"  e.g. MODEL_JOBS_PRD_WEBHOOK={url}prd make dev",
            file=out,
            flush=True,
        )
        server.serve_forever()
