"""`netlab exporter` as a fleet runs it: scraped by a real Prometheus, and probing namespace hosts.

The measured namespace (b, 10.77.0.2) holds a known population of sockets
(tests/helpers/population.py: a listener of backlog 5 with 6 connections
waiting, ESTAB pairs, TIME-WAIT, UDP, UNIX) and the exporter; Prometheus
runs in namespace a (10.77.0.1) and scrapes it across the veth, so its own
queries never add sockets to b. Prometheus keeps its scrape connection
(HTTP/1.1), so b's sockets are the same at the scrape and at ss's count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers.env import require_tool
from tests.helpers.exporter import exporter, get, samples, stop, wait_for

pytestmark = pytest.mark.privileged

POPULATION = Path(__file__).parents[1] / "helpers" / "population.py"
PROMETHEUS_PORT = 9090


@pytest.fixture
def population(veth, tmp_path):
    proc = veth.b.popen([sys.executable, str(POPULATION), str(tmp_path / "u.sock")],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, "population process died"
        facts = json.loads(line)
        with open(f"/proc/{facts['pid']}/comm") as f:
            facts["comm"] = f.read().rstrip("\n")
        yield facts
    finally:
        proc.stdin.close()
        proc.wait(timeout=5)


@pytest.fixture
def prometheus(veth, tmp_path):
    """Prometheus in namespace a, scraping b's exporter (10.77.0.2:10077) every second."""
    require_tool("prometheus")
    config = tmp_path / "prometheus.yml"
    config.write_text(textwrap.dedent(f"""\
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: netlab
            static_configs:
              - targets: ["{veth.b4}:10077"]
        """))
    proc = veth.a.popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                         f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        stop(proc)


def query(ns, promql: str) -> list[dict]:
    """Prometheus's HTTP API, asked from inside its namespace: the result vector."""
    url = f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with ns.inside():
        try:
            status, _, body = get(url, timeout=5)
        except OSError:
            return []
    answer = json.loads(body) if status == 200 else {}
    return answer.get("data", {}).get("result", [])


def ss_states(ns, flag: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in ns.exec(["ss", flag, "-anH"]).stdout.splitlines():
        state = line.split()[0]
        counts[state] = counts.get(state, 0) + 1
    return counts


def test_prometheus_scrapes_accept_queue_and_state_counts(veth, population, prometheus):
    require_tool("ss")
    port = str(population["small_port"])
    with exporter(ns=veth.b, listen=f"{veth.b4}:10077"):
        # two scrapes, both successful
        scraped = wait_for(lambda: [r for r in query(veth.a, 'sum_over_time(up{job="netlab"}[1m])')
                                    if float(r["value"][1]) >= 2], timeout=30, step=0.5)
        assert scraped, "Prometheus did not scrape the exporter twice in 30 s"
        [queue] = query(veth.a, f'netlab_tcp_listener_accept_queue_connections{{port="{port}"}}')
        assert queue["metric"] == {"__name__": "netlab_tcp_listener_accept_queue_connections", "address": "127.0.0.1",
                                   "port": port, "process": population["comm"], "instance": f"{veth.b4}:10077",
                                   "job": "netlab"}
        assert queue["value"][1] == "6"  # backlog 5: the kernel queues backlog + 1
        [full] = query(veth.a, f'netlab_tcp_listener_accept_queue_full{{port="{port}"}}')
        assert full["value"][1] == "1"
        [backlog] = query(veth.a, f'netlab_tcp_listener_backlog_connections{{port="{port}"}}')
        assert backlog["value"][1] == "5"
        for proto, flag in (("tcp", "-t"), ("udp", "-u")):
            scraped_counts = {r["metric"]["state"]: 0 for r in query(veth.a, f'netlab_sockets{{protocol="{proto}"}}')}
            for r in query(veth.a, f'netlab_sockets{{protocol="{proto}"}}'):
                scraped_counts[r["metric"]["state"]] += int(r["value"][1])
            assert scraped_counts == ss_states(veth.b, flag), proto


@pytest.fixture
def lossy_host(veth):
    """b answers on 10.77.0.2; 10.77.0.3, also b's, is behind 100% loss (nftables drops what comes in)."""
    veth.b.ip("addr", "add", "10.77.0.3/24", "dev", veth.b_if)
    veth.b.nft("table inet netlab_loss {\n chain input {\n type filter hook input priority 0;\n"
               " ip daddr 10.77.0.3 drop\n }\n}\n")
    return "10.77.0.3"


def test_probe_answers_success_1_and_0(veth, lossy_host, tmp_path):
    config = tmp_path / "probes.toml"
    config.write_text(textwrap.dedent("""\
        [probe]
        allow = ["10.77.0.0/24"]

        [modules.icmp]
        count = 3
        interval = 0.05
        timeout = 0.5
        """))
    with exporter("--config", str(config), ns=veth.a) as (_, url):
        with veth.a.inside():
            answers = {target: get(f"{url}/probe?target={target}&module=icmp") for target in (veth.b4, lossy_host)}
            refused = get(f"{url}/probe?target=127.0.0.1&module=icmp")
    up = {s.name: s.value for s in samples(answers[veth.b4][2]) if not s.labels}
    down = {s.name: s.value for s in samples(answers[lossy_host][2]) if not s.labels}
    assert up["probe_success"] == 1 and up["probe_packets_received"] == 3 and up["probe_loss_ratio"] == 0
    assert down["probe_success"] == 0 and down["probe_packets_received"] == 0 and down["probe_loss_ratio"] == 1
    assert 0 < up["probe_duration_seconds"] < down["probe_duration_seconds"] < 3
    rtt = {s.labels["stat"]: s.value for s in samples(answers[veth.b4][2]) if s.name == "probe_rtt_seconds"}
    assert 0 < rtt["min"] <= rtt["avg"] <= rtt["max"] < 0.5
    assert refused[0] == 403  # loopback is not in the allow list
