"""`netlab exporter` on this host's loopback: what a scraper and an operator see."""

from __future__ import annotations

import socket
import textwrap
import time

import pytest

from tests.helpers.cli import run_netlab
from tests.helpers.exporter import exporter, get, samples, stop


def own_comm() -> str:
    with open("/proc/self/comm") as f:
        return f.read().rstrip("\n")


@pytest.fixture
def full_listener():
    """A listener with backlog 2 and 3 connections waiting: full (the kernel takes backlog + 1)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(2)
    clients = [socket.create_connection(server.getsockname(), timeout=2) for _ in range(3)]
    time.sleep(0.05)
    yield server.getsockname()[1]
    for c in clients:
        c.close()
    server.close()


def series(text: str, name: str, **labels: str) -> list:
    return [s for s in samples(text) if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


def test_metrics_show_a_full_accept_queue_with_its_owner(full_listener):
    port = str(full_listener)
    with exporter() as (_, url):
        status, headers, body = get(url + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    [queue] = series(body, "netlab_tcp_listener_accept_queue_connections", port=port)
    assert queue.labels == {"address": "127.0.0.1", "port": port, "process": own_comm()}
    assert queue.value == 3
    assert [s.value for s in series(body, "netlab_tcp_listener_backlog_connections", port=port)] == [2]
    assert [s.value for s in series(body, "netlab_tcp_listener_accept_queue_full", port=port)] == [1]
    # the kernel counters and the exporter's own time are there too
    assert series(body, "netlab_tcpext_listen_overflows_total")
    assert series(body, "netlab_exporter_scrape_duration_seconds", part="total")[0].value > 0
    assert all(s.value == 1 for s in series(body, "netlab_exporter_scrape_success"))


def test_pid_label_and_process_counts(full_listener):
    import os

    with exporter("--pid-label", "--process", own_comm()) as (_, url):
        _, _, body = get(url + "/metrics")
    [queue] = series(body, "netlab_tcp_listener_accept_queue_connections", port=str(full_listener))
    assert queue.labels["pid"] == str(os.getpid())
    # this process holds the listener and the three clients (at least: the exporter may have the same name)
    mine = {s.labels["state"]: s.value for s in series(body, "netlab_process_sockets", process=own_comm(), protocol="tcp")}
    assert mine["LISTEN"] >= 1 and mine["ESTAB"] >= 3


def test_openmetrics_when_asked():
    with exporter() as (_, url):
        status, headers, body = get(url + "/metrics", accept="application/openmetrics-text; version=1.0.0")
    assert status == 200 and headers["Content-Type"].startswith("application/openmetrics-text")
    assert body.endswith("# EOF\n")


def test_probe_refuses_without_an_allow_list_and_unknown_paths_are_404():
    with exporter() as (_, url):
        assert get(url + "/probe?target=127.0.0.1&module=icmp")[0] == 400  # no modules at all
        assert get(url + "/nope")[0] == 404
        assert get(url + "/")[0] == 200


def test_probe_allow_list(tmp_path, full_listener):
    config = tmp_path / "probes.toml"
    config.write_text(textwrap.dedent(f"""\
        [probe]
        allow = ["127.0.0.1/32"]

        [modules.icmp]
        count = 2
        interval = 0.05

        [modules.tcp]
        prober = "tcp"
        port = {full_listener}
        count = 1
        """))
    with exporter("--config", str(config)) as (_, url):
        status, _, body = get(url + "/probe?target=127.0.0.1&module=icmp")
        assert status == 200, body
        values = {s.name: s.value for s in samples(body) if not s.labels}
        assert values["probe_success"] == 1 and values["probe_packets_sent"] == 2 and values["probe_loss_ratio"] == 0
        refused = get(url + "/probe?target=::1&module=icmp")
        assert refused[0] == 403 and "not in the allow list" in refused[2]
        assert get(url + "/probe?target=127.0.0.1&module=dns")[0] == 400
        assert get(url + "/probe?module=icmp")[0] == 400


@pytest.mark.parametrize("text, where, what", [
    ('[probe]\nallow = ["10.0.0.0/8", "nonsense"]\n', "line 2", "probe.allow"),
    ('[probe]\nallow = []\n\n[modules.a]\ncount = 0\n', "line 5", "modules.a.count"),
    ('[modules.a]\nprober = "icmp"\ncolour = "red"\n', "line 3", "modules.a.colour"),
    ('[modules.t]\nprober = "tcp"\n', "line 1", "needs a port"),
    ('[modules.a]\ninterval = "fast"\n', "line 2", "modules.a.interval"),
    ('[probe\nallow = []\n', "line 1", "probe.toml"),
])
def test_a_bad_config_is_one_line_naming_line_and_field(tmp_path, text, where, what):
    config = tmp_path / "probe.toml"
    config.write_text(text)
    proc = run_netlab("exporter", "--config", str(config), "--listen", "127.0.0.1:0", timeout=30)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("netlab: error: "), proc.stderr
    assert where in lines[0] and what in lines[0], lines[0]


@pytest.mark.parametrize("listen, why", [
    ("127.0.0.1", "ADDR:PORT"),
    ("::1:80", "brackets"),
    ("127.0.0.1:99999", "ports are 0-65535"),
    ("localhost:10077", "invalid address"),
])
def test_a_bad_listen_address_is_one_line(listen, why):
    proc = run_netlab("exporter", "--listen", listen, timeout=30)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and why in proc.stderr, proc.stderr


def test_a_port_in_use_is_one_line(full_listener):
    proc = run_netlab("exporter", "--listen", f"127.0.0.1:{full_listener}", timeout=30)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "Address already in use" in proc.stderr


def test_sigterm_ends_it_quietly_with_status_0():
    with exporter() as (proc, url):
        assert get(url + "/metrics")[0] == 200
        assert stop(proc) == 0
        assert proc.stderr.read() == ""


def test_once_prints_one_scrape_and_exits(full_listener):
    proc = run_netlab("exporter", "--once", timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    [full] = series(proc.stdout, "netlab_tcp_listener_accept_queue_full", port=str(full_listener))
    assert full.value == 1
