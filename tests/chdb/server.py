"""Current ClickHouse (26.x, in-process from PyPI's chdb) behind ClickHouse's HTTP interface,
for the tests: assay's own client talks to it as it talks to a server, so every statement
assay writes for current ClickHouse runs on current ClickHouse.

Why a shim: chdb is a library with no server of its own, and Debian's server is 18.16. This
file is test tooling only; it speaks the part of the HTTP interface the `clickhouse` crate
uses: the query in the body (or, for an INSERT, in the `query` parameter with its data in the
body, chunked), `database`, `default_format`, `query_id`, `readonly` and any other setting as
URL parameters, errors as HTTP 500 with the server's own `Code: N. DB::Exception` text.

Usage: python server.py DATA_DIR  -> prints `port N` once it listens on 127.0.0.1:N.
"""

import http.server
import socketserver
import sys
import threading
import urllib.parse

import chdb

# Parameters of the HTTP interface itself, not settings to SET.
INTERFACE = {
    "database",
    "default_format",
    "query",
    "query_id",
    "readonly",
    "user",
    "password",
    "decompress",
    "compress",
    "session_id",
    "wait_end_of_query",
    "role",
}


class Engine:
    """One writable and one read-only connection to the same data (`readonly=2` is a
    startup argument of the second: a SET of it could not be undone on a shared one)."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.rw = chdb.connect(path)
        self.ro = chdb.connect(path + "?readonly=2")

    def run(self, sql, params):
        conn = self.ro if params.get("readonly", "0") not in ("", "0") else self.rw
        fmt = params.get("default_format", "TabSeparated")
        with self.lock:
            conn.query("USE " + quote_ident(params.get("database", "default")), "TabSeparated")
            for name, value in params.items():
                if name not in INTERFACE and not name.startswith("param_"):
                    conn.query("SET %s = %s" % (quote_ident(name), setting_value(value)), "TabSeparated")
            return conn.query(sql, fmt).bytes()


def quote_ident(name):
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def setting_value(value):
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def error_code(text):
    at = text.find("Code: ")
    if at < 0:
        return "1000"
    digits = ""
    for ch in text[at + 6 :]:
        if not ch.isdigit():
            break
        digits += ch
    return digits or "1000"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    engine = None

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    # Trailers, up to the empty line.
                    while self.rfile.readline().strip():
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, payload, code=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/tab-separated-values; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        if code:
            self.send_header("X-ClickHouse-Exception-Code", code)
        self.end_headers()
        self.wfile.write(payload)

    def handle_query(self, data):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/ping":
            return self.answer(200, b"Ok.\n")
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        sql = params.get("query", "")
        text = data.decode("utf-8")
        if sql:
            sql = sql + "\n" + text if text else sql
        else:
            sql = text
        if sql.lstrip().upper().startswith("KILL QUERY"):
            # Not queued behind the query it would stop: chdb runs one statement at a time
            # here, and the client only needs the KILL acknowledged.
            return self.answer(200, b"")
        try:
            out = self.engine.run(sql, params)
        except Exception as e:  # chdb's errors carry the server's own text and code
            message = str(e).strip() + "\n"
            return self.answer(500, message.encode("utf-8"), error_code(message))
        self.answer(200, out)

    def do_GET(self):
        self.handle_query(b"")

    def do_POST(self):
        self.handle_query(self.body())


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    Handler.engine = Engine(sys.argv[1])
    server = Server(("127.0.0.1", 0), Handler)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
