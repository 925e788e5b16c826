"""The exporter's HTTP server: /metrics, /probe, and a short index page.

A small threaded server (http.server), HTTP/1.1 so that Prometheus keeps its
connection between scrapes: at most MAX_CONNECTIONS connections (more are
closed at once), MAX_REQUESTS requests at once (more get 503 rather than
queueing up), an idle timeout per connection, no access log (errors only,
one line each on stderr). /metrics
scrapes run one at a time (the collector holds a lock). SIGTERM and SIGINT
stop it: the request in flight is answered, then the socket closes.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from netlab.errors import PrivilegeError, UsageError
from netlab.exporter import probe
from netlab.exporter.config import Config
from netlab.exporter.metrics import NetlabCollector, Options, say

# Prometheus's port allocation list (9100-9999) is used up; 10077 is outside it
# and free in IANA's list of commonly used services. README and man page say so.
DEFAULT_PORT = 10077
DEFAULT_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"
MAX_REQUESTS = 8
MAX_CONNECTIONS = 32
READ_TIMEOUT_S = 60  # longer than a scrape interval (15 s by default): the connection is kept

INDEX = b"""<html><head><title>netlab exporter</title></head><body>
<h1>netlab exporter</h1>
<p><a href="/metrics">/metrics</a>: listeners' accept queues, socket states, TCP counters.</p>
<p>/probe?target=HOST&amp;module=NAME: a probe of a target in the config's allow list.</p>
</body></html>
"""


def parse_listen(text: str) -> tuple[str, int]:
    """ADDR:PORT (IPv6 as [ADDR]:PORT) -> (address, port)."""
    from netlab.core.addr import parse_address, parse_port

    host, sep, port = text.strip().rpartition(":")
    if not sep or not host:
        raise UsageError(f"invalid --listen {text!r}", "ADDR:PORT, e.g. 127.0.0.1:10077 or [::1]:10077")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise UsageError(f"invalid --listen {text!r}", "put an IPv6 address in brackets: [::1]:10077")
    return str(parse_address(host)), parse_port(port)


class Exporter:
    """What the handler serves: the metrics registry and the probe config."""

    def __init__(self, config: Config, options: Options) -> None:
        self.config = config
        self.collector = NetlabCollector(options)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self.slots = threading.BoundedSemaphore(MAX_REQUESTS)


class _Handler(BaseHTTPRequestHandler):
    server_version = "netlab-exporter"
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has its Content-Length
    timeout = READ_TIMEOUT_S  # a client that sends nothing does not hold a thread for long
    exporter: Exporter  # set on the subclass made by serve()

    def log_message(self, format, *args) -> None:  # noqa: A002 (http.server's name)
        pass  # no access log: stderr carries errors only

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if not self.exporter.slots.acquire(blocking=False):
            self._send(503, b"too many requests at once\n")
            return
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the scraper went away
        except Exception as err:  # a bug must not end the server: one line, 500
            say(f"{self.path[:200]}: {type(err).__name__}: {err}")
            self._send(500, b"internal error, see the exporter's stderr\n")
        finally:
            self.exporter.slots.release()

    def _route(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/metrics":
            self._registry(self.exporter.registry)
        elif url.path == "/probe":
            query = parse_qs(url.query)
            try:
                module, target = probe.check(self.exporter.config, *(query.get(k, [None])[0] for k in ("target", "module")))
            except probe.Refused as err:
                self._send(err.status, f"{err}\n".encode())
                return
            self._registry(probe.run(module, target))
        elif url.path == "/":
            self._send(200, INDEX, "text/html; charset=utf-8")
        else:
            self._send(404, b"not found: try /metrics or /probe\n")

    def _registry(self, registry: CollectorRegistry) -> None:
        # OpenMetrics when the scraper asks for it (Accept header), else the text format 0.0.4
        encoder, content_type = choose_encoder(self.headers.get("Accept"))
        self._send(200, encoder(registry), content_type)

    def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args, **kwargs) -> None:
        self.connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address) -> None:
        # One thread per connection: bound them, or idle connections could hold any number.
        if not self.connections.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.connections.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release()


def make_server(address: str, port: int, exporter: Exporter) -> _Server:
    handler = type("Handler", (_Handler,), {"exporter": exporter})
    _Server.address_family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    try:
        return _Server((address, port), handler)
    except PermissionError:
        raise PrivilegeError(f"cannot listen on port {port}", "ports below 1024 need root or CAP_NET_BIND_SERVICE") from None
    except OSError as err:
        raise UsageError(f"cannot listen on {address} port {port}: {err.strerror}",
                         "pick another --listen address or port") from None


def serve(server: _Server) -> int:
    """Serve until SIGTERM (exit 0) or SIGINT (exit 130)."""
    stop = threading.Event()
    got: list[int] = []

    def on_signal(signum, _frame) -> None:
        got.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="netlab-exporter")
    thread.start()
    try:
        while not stop.wait(1.0):
            if not thread.is_alive():
                break
    finally:
        server.shutdown()  # waits for serve_forever to return
        thread.join(timeout=5)
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 130 if got and got[0] == signal.SIGINT else 0
