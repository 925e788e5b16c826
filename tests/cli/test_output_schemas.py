"""The output contract, checked on real output: every command x every format it accepts.

Each run's stdout is parsed whole, as a script would (json: the documents,
jsonl: json.loads per line, csv: the csv module) and validated against the
command's JSON Schema (netlab schema COMMAND). A banner on stdout, a renamed key,
a new key or a wrong type fails here; so does a schema that no longer matches
docs/output.md's promises checked below.
"""

from __future__ import annotations

import contextlib
import json
import socket
from pathlib import Path

import pytest

from netlab import schemas
from tests.helpers.cli import run_netlab
from tests.helpers.env import ROOT, require_conformance
from tests.helpers.schemas import csv_rows, json_documents, jsonl_records, validator

WATCH = ["--watch", "0.05", "--iterations", "2"]


def ok(*args: str, ns=None) -> str:
    proc = run_netlab(*args, ns=ns)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


# --- the schemas themselves ------------------------------------------------------------

@pytest.mark.parametrize("command", schemas.COMMANDS)
def test_schema_command_prints_the_shipped_draft_2020_12_schema(command):
    out = ok("schema", command)
    assert json.loads(out) == schemas.load(command)
    assert json.loads(out)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator(command)  # check_schema: a valid Draft 2020-12 schema


def test_schema_of_an_unknown_command_is_one_line_and_exit_2():
    proc = run_netlab("schema", "nosuch")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "conns, ping, capture, backlog, reuseaddr-demo" in proc.stderr


def test_a_wrong_key_fails_validation():
    """The schemas are closed: an unknown key or a renamed one is an error, not ignored."""
    row = {
        "proto": "tcp", "family": "inet", "state": "LISTEN", "local_addr": "127.0.0.1", "local_port": 80,
        "remote_addr": "0.0.0.0", "remote_port": 0, "recv_q": 0, "send_q": 128, "uid": 0, "inode": 1,
        "pid": None, "process": None, "user": "root", "owners": []}
    assert validator("conns").is_valid(row)
    assert not validator("conns").is_valid({**row, "ts": 1.0})
    assert not validator("conns").is_valid({**row, "timer": 3})
    renamed = dict(row)
    renamed["rtt_us"] = renamed.pop("recv_q")
    assert not validator("conns").is_valid(renamed)


# --- conns -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def our_sockets():
    """Sockets of every kind this test process holds while netlab lists them: a listener,
    an established pair, a UDP socket, a UNIX pair, so owners and -e/-i keys have values."""
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        stack.enter_context(socket.create_connection(listener.getsockname()))
        server = stack.enter_context(listener.accept()[0])
        server.sendall(b"x" * 100)
        udp = stack.enter_context(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM))
        udp.bind(("::1", 0))
        for end in socket.socketpair():
            stack.enter_context(end)
        # a packet socket for -0 (protocol 0: it receives nothing)
        stack.enter_context(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))
        yield listener.getsockname()[1]


CONNS_MODES = [[], ["-e"], ["-i"], ["-x"], ["-e", "-i", "-a", "-t", "-u", "-x"], ["-l", "-t"],
               ["-o", "-m", "--cgroup", "-e", "-t", "-u", "-x"], ["-0", "-t", "-e"]]


@pytest.mark.parametrize("mode", CONNS_MODES, ids=lambda m: " ".join(m) or "plain")
def test_conns_json_jsonl_csv_validate(our_sockets, mode):
    port = str(our_sockets)
    (listing,) = json_documents("conns", ok("conns", *mode, "--format", "json"))
    ours = [s for s in listing if s["local_port"] == our_sockets and s["state"] == "LISTEN"]
    if mode != ["-x"]:
        assert ours and ours[0]["owners"] and ours[0]["owners"][0]["pid"] > 0  # the owner is there
    if "-l" in mode:
        assert ours[0]["accept_fill_pct"] == 0.0
    assert jsonl_records("conns", ok("conns", *mode, "--format", "jsonl"))
    rows = csv_rows("conns", ok("conns", *mode, "--format", "csv"), "socket")
    assert rows and port


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("summary", [False, True], ids=["sockets", "summary"])
def test_conns_watch_validates(our_sockets, fmt, summary):
    args = ["conns", "-t", *(["-s"] if summary else []), *WATCH, "--format", fmt]
    out = ok(*args)
    if fmt == "json":
        assert len(json_documents("conns", out)) == 2  # one document per redraw
    elif fmt == "jsonl":
        records = jsonl_records("conns", out)
        assert len({r["time"] for r in records}) == 2 and all(next(iter(r)) == "time" for r in records)
    else:
        rows = csv_rows("conns", out, "summary_csv_row" if summary else "socket")
        assert out.splitlines()[0].startswith("time,") and len({r["time"] for r in rows}) == 2


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("key", ["remote_addr", "remote_net/24", "local_port", "process", "user", "state"])
def test_conns_count_by_validates(our_sockets, fmt, key):
    out = ok("conns", "-ta", "--count-by", key, "--top", "3", "--format", fmt)
    if fmt == "json":
        (rows,) = json_documents("conns", out)
    elif fmt == "jsonl":
        rows = jsonl_records("conns", out)
    else:
        rows = csv_rows("conns", out, "count_row")
    assert 1 <= len(rows) <= 3 and all(r["count_by"] == key for r in rows)
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_conns_summary_validates(our_sockets, fmt):
    out = ok("conns", "-s", "--format", fmt)
    if fmt == "json":
        (summary,) = json_documents("conns", out)
        assert summary["total"] == sum(p["total"] for p in summary["protocols"])
    elif fmt == "jsonl":
        assert [r["proto"] for r in jsonl_records("conns", out)] == ["tcp", "udp", "raw", "unix"]
    else:
        assert len(csv_rows("conns", out, "summary_csv_row")) == 4


# --- capture -----------------------------------------------------------------------------

def _pcaps() -> list[Path]:
    return sorted((require_conformance() / "tcpdump" / "pcaps").glob("*.pcap*"))


def test_capture_jsonl_of_every_conformance_capture_validates():
    """37 captures of tcpdump's own tests: Ethernet, Linux cooked v1/v2, NULL, raw IP, ARP, IPv6, ..."""
    links = set()
    packets = 0
    for pcap in _pcaps():
        proc = run_netlab("capture", "-n", "-r", str(pcap), "--format", "jsonl")
        assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr, (pcap, proc.stderr)
        for record in jsonl_records("capture", proc.stdout):
            assert list(record) == list(schemas.load("capture")["$defs"]["packet"]["properties"])  # key order
            links.add(record["link"])
            packets += 1
    assert packets > 300 and {"EN10MB", "LINUX_SLL"} <= links


@pytest.mark.parametrize("name", ["dns_tcp.pcap", "icmpv6.pcap", "arp-too-long-tha.pcap"])
def test_capture_stats_jsonl_validates(name):
    pcap = require_conformance() / "tcpdump" / "pcaps" / name
    if not pcap.exists():
        pcap = _pcaps()[0]
    (stats,) = jsonl_records("capture", ok("capture", "-n", "-r", str(pcap), "--stats", "--format", "jsonl"))
    assert stats["packets"] == sum(p["packets"] for p in stats["protocols"])


ANALYSIS = {"conv": "conversation", "endpoints": "endpoint", "io,0.05,tcp,udp": "interval", "tcp": "tcp_stream"}


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("kind", sorted(ANALYSIS))
def test_capture_stats_tables_validate(kind, fmt):
    """Every key of --stats conv, endpoints, io and tcp, in every format, on a capture with all of them."""
    pcap = require_conformance() / "tcpdump" / "pcaps" / "dns_tcp.pcap"
    out = ok("capture", "-r", str(pcap), "--stats", kind, "--format", fmt)
    record = ANALYSIS[kind]
    if fmt == "json":
        (rows,) = json_documents("capture", out)
    elif fmt == "jsonl":
        rows = jsonl_records("capture", out)
    else:
        rows = csv_rows("capture", out, record)
    keys = list(schemas.load("capture")["$defs"][record]["properties"])
    assert rows and all(list(row) == keys for row in rows)  # every key, in the schema's order


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_capture_device_list_validates(fmt):
    out = ok("capture", "-D", "--format", fmt)
    if fmt == "json":
        (devices,) = json_documents("capture", out)
    elif fmt == "jsonl":
        devices = jsonl_records("capture", out)
    else:
        devices = csv_rows("capture", out, "device")
    assert "lo" in [d["name"] for d in devices]


# --- ping ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_ping_loopback_validates(fmt):
    out = ok("ping", "-c", "2", "-i", "0.05", "127.0.0.1", "::1", "--format", fmt)
    if fmt == "json":
        (hosts,) = json_documents("ping", out)
        assert [h["received"] for h in hosts] == [2, 2]
    elif fmt == "jsonl":
        assert [r["type"] for r in jsonl_records("ping", out)].count("reply") == 4
    else:
        assert [r["host"] for r in csv_rows("ping", out, "csv_row")] == ["127.0.0.1", "::1"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_ping_tcp_validates(fmt):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        out = ok("ping", "--tcp", str(listener.getsockname()[1]), "-c", "2", "-i", "0.05", "127.0.0.1",
                 "--format", fmt)
    if fmt == "json":
        (hosts,) = json_documents("ping", out)
        assert {r["ttl"] for r in hosts[0]["replies"]} == {None}
    elif fmt == "jsonl":
        assert jsonl_records("ping", out)
    else:
        assert csv_rows("ping", out, "csv_row")


@pytest.mark.privileged
def test_ping_errors_and_timeouts_validate(veth):
    """Every event type: a reply (loopback), an ICMP error (the peer rejects IPv4 echo),
    a timeout (the peer drops IPv6 echo), then the summaries."""
    veth.b.nft("table inet x {\n chain in {\n type filter hook input priority 0;\n"
               " icmp type echo-request reject with icmp type host-unreachable\n"
               " icmpv6 type echo-request drop\n }\n}\n")
    proc = run_netlab("ping", "-c", "2", "-i", "0.1", "-W", "0.3", "127.0.0.1", veth.b4, veth.b6,
                      "--format", "jsonl", ns=veth.a)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    records = jsonl_records("ping", proc.stdout)
    assert {r["type"] for r in records} == {"reply", "error", "timeout", "summary"}
    for fmt, parse in (("json", lambda out: json_documents("ping", out)),
                       ("csv", lambda out: csv_rows("ping", out, "csv_row"))):
        again = run_netlab("ping", "-c", "1", "-W", "0.3", veth.b4, veth.b6, "--format", fmt, ns=veth.a)
        assert again.returncode == 1 and parse(again.stdout)


# --- backlog -------------------------------------------------------------------------------

SMALL_PROBE = ["-b", "1", "-s", "8", "-c", "5", "--syn-queue", "--syncookies", "0", "--max-syn-backlog", "16",
               "--abort-on-overflow", "--timeline", "--accept-delay", "0.2", "--timeline-clients", "2"]


@pytest.mark.privileged
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_backlog_probe_validates(fmt):
    out = ok("backlog", *SMALL_PROBE, "--format", fmt)
    if fmt == "json":
        (report,) = json_documents("backlog", out)
        assert {p["mode"] for p in report["points"]} == {"connect", "syn_queue", "abort_on_overflow"}
        assert report["timeline"] is not None and report["verdicts"]
    else:
        assert len(csv_rows("backlog", out, "probe_csv_row")) == 4


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_backlog_watch_validates(our_sockets, fmt):
    out = ok("backlog", "--watch", "0.05", "-n", "2", "--format", fmt)
    if fmt == "json":
        (samples,) = json_documents("backlog", out)
    elif fmt == "jsonl":
        samples = jsonl_records("backlog", out)
    else:
        rows = csv_rows("backlog", out, "watch_csv_row")
        assert {r["sample"] for r in rows} == {1, 2} and our_sockets in {r["local_port"] for r in rows}
        return
    assert [s["sample"] for s in samples] == [1, 2]
    assert our_sockets in {x["local_port"] for x in samples[-1]["listeners"]}


# --- reuseaddr-demo ----------------------------------------------------------------------

@pytest.mark.privileged
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_reuseaddr_demo_validates(fmt):
    # json: every scenario (every kind of details); jsonl and csv: two of them
    only = [] if fmt == "json" else ["-s", "server-killed-unread", "-s", "reuseport"]
    out = ok("reuseaddr-demo", *only, "--format", fmt)
    if fmt == "json":
        (rows,) = json_documents("reuseaddr-demo", out)
        assert len({r["scenario"] for r in rows}) == 7
    elif fmt == "jsonl":
        assert {r["scenario"] for r in jsonl_records("reuseaddr-demo", out)} == {"server-killed-unread", "reuseport"}
    else:
        assert csv_rows("reuseaddr-demo", out, "row")


def test_docs_name_every_schema():
    text = (ROOT / "docs" / "output.md").read_text()
    assert "netlab schema" in text
