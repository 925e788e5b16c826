"""netlab conns's filter language against ss's own selection, on one population in a private namespace.

For each expression the set of sockets netlab lists must be the set ss lists
for the same words: every state name and group ss knows, ports with every
comparison, addresses and prefixes (IPv4, IPv6, v4-mapped), devices, not/and/or
and brackets. The population holds sockets in as many states as a namespace can
make without dropping packets: LISTEN, ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-2,
CLOSE-WAIT, TIME-WAIT, UNCONN.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.helpers.cli import run_netlab
from tests.helpers.env import require_tool

pytestmark = pytest.mark.privileged

POPULATION = Path(__file__).parents[1] / "helpers" / "population.py"
UNANSWERED = "10.77.66.0/24"  # routed over lo, never answered: SYNs to it stay SYN-SENT


def _listener(family, addr, port, backlog=16, device=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if device:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    s.bind((addr, port))
    s.listen(backlog)
    return s


@pytest.fixture
def crowd(ns, tmp_path):
    """The namespace with population.py's sockets and more states, held for the test."""
    from netlab.lab.backlog.synqueue import send_half_open

    require_tool("ss")
    ns.ip("route", "add", UNANSWERED, "dev", "lo")
    proc = ns.popen([sys.executable, str(POPULATION), str(tmp_path / "u.sock")],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    with ExitStack() as stack:
        stack.callback(proc.wait, timeout=5)
        stack.callback(proc.stdin.close)
        assert proc.stdout.readline(), "population process died"
        keep: list[socket.socket] = []
        stack.callback(lambda: [s.close() for s in keep])
        with ns.inside():
            https = _listener(socket.AF_INET, "127.0.0.1", 443)
            alt = _listener(socket.AF_INET6, "::", 8080)  # dual stack: v4 clients appear v4-mapped
            bound = _listener(socket.AF_INET, "127.0.0.1", 9000, device="lo")
            keep += [https, alt, bound]
            for server, target in ((https, ("127.0.0.1", 443)), (alt, ("127.0.0.1", 8080)), (alt, ("::1", 8080))):
                client = socket.create_connection(target, timeout=2)
                keep += [client, server.accept()[0]]
            # FIN-WAIT-2 / CLOSE-WAIT: the client shuts its side, the server never closes
            half = socket.create_connection(("127.0.0.1", 443), timeout=2)
            keep += [half, https.accept()[0]]
            half.shutdown(socket.SHUT_WR)
            # SYN-SENT: a connect to an address that never answers
            pending = socket.socket()
            pending.setblocking(False)
            pending.connect_ex(("10.77.66.5", 443))
            keep.append(pending)
            # SYN-RECV: half-open handshakes in a listener's SYN queue
            send_half_open(443, 2)
        time.sleep(0.2)
        yield ns


def ss_set(ns, proto_flags: str, words: list[str]) -> set:
    proc = ns.exec(["ss", "-Hn" + proto_flags + "a", *words], check=False)
    assert proc.returncode == 0, (words, proc.stderr)
    if proto_flags == "x":  # ss drops the Netid and State columns it needs not: read from the right
        return {("unix", line.split()[-4], line.split()[-3]) for line in proc.stdout.splitlines()}
    return {_endpoints(line) for line in proc.stdout.splitlines()}


def _endpoints(line: str) -> tuple:
    # ss drops Netid for one protocol and State for one state: the endpoints are the first two
    # fields with a colon (UNIX sockets: the two fields after the queues, name and inode)
    fields = line.split()
    if fields[0].startswith("u_"):
        return ("unix", fields[4], fields[5])
    local, peer = [f for f in fields if ":" in f][:2]
    # ss writes some sockets' unspecified IPv6 address as * (the IPv4 one is 0.0.0.0)
    return tuple("[::]" + e[1:] if e.startswith("*:") else e for e in (local.replace("%lo", ""), peer))


def netlab_set(ns, proto_flags: str, words: list[str], options: tuple = ()) -> set:
    proc = run_netlab("conns", "-" + proto_flags + "a", *options, "--format", "json", "--", *words, ns=ns)
    assert proc.returncode == 0, (words, proc.stderr)
    out = set()
    for rec in json.loads(proc.stdout):
        if rec["proto"] == "unix":
            out.add(("unix", rec["local_addr"] or "*", str(rec["inode"])))
            continue
        def ep(addr, port, family=rec["family"]):
            host = f"[{addr}]" if family == "inet6" else addr
            return f"{host}:{port or '*'}"
        out.add((ep(rec["local_addr"], rec["local_port"]), ep(rec["remote_addr"], rec["remote_port"])))
    return out


STATE_WORDS = ["established", "syn-sent", "syn-recv", "syn-rcv", "fin-wait-1", "fin-wait-2", "time-wait",
               "closed", "close", "unconnected", "close-wait", "last-ack", "listening", "closing",
               "connected", "synchronized", "bucket", "big", "all"]
EXPRESSIONS = [
    *[["state", name] for name in STATE_WORDS],
    ["exclude", "listening"],
    ["exclude", "established", "exclude", "time-wait"],
    ["state", "listening", "state", "established"],
    ["state", "established", "( dport = :443 or sport = :443 )"],
    ["sport = :443"], ["dport = :443"], ["sport", "eq", ":https"], ["sport = :0x1bb"],
    ["sport gt :1024"], ["sport lt :1024"], ["sport >= :443 and sport <= :8080"], ["dport != :443"],
    ["dport", "ge", ":8080"], ["sport le :443"],
    ["dst 127.0.0.0/8"], ["src 127.0.0.1"], ["src [::1]"], ["dst ::1/128"], ["src 127.0.0.1:443"],
    ["src *:443"], ["not src 127.0.0.1"], ["src 0.0.0.0/0"], ["src [::ffff:127.0.0.1]"],
    ["dst 10.77.66.0/24"], ["src 127.0.0.1 or src [::1]"], ["src", "localhost"],
    ["dev lo"], ["dev != lo"], ["dev", "1"],
    ["! ( sport = :443 or dport = :443 )"], ["sport = :443 or sport = :8080 and dport = :0"],
    ["sport = :443 dport = :0"], ["( sport = :443 || sport = :9000 ) && ! dst 0.0.0.0/0"],
    ["state", "synchronized", "dst", "[::1]", "or", "dport", "=", ":443"],
    ["autobound"], ["not", "autobound"],
]


@pytest.mark.parametrize("protos", ["tu", "tuw"])
def test_filters_select_the_sockets_ss_selects(crowd, protos):
    ns = crowd
    compared = 0
    nonempty = 0
    for words in EXPRESSIONS:
        theirs = ss_set(ns, protos, words)
        ours = netlab_set(ns, protos, words)
        assert ours == theirs, (words, sorted(ours - theirs), sorted(theirs - ours))
        compared += 1
        nonempty += bool(theirs)
    assert compared == len(EXPRESSIONS) >= 50 and nonempty >= 45, (compared, nonempty)


def test_the_population_has_the_states_it_claims(crowd):
    states = {rec["state"] for rec in json.loads(run_netlab("conns", "-ta", "--format", "json", ns=crowd).stdout)}
    assert states >= {"LISTEN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-2", "CLOSE-WAIT", "TIME-WAIT"}


def test_unix_patterns_as_ss(crowd):
    for words in (["src", "unix:*u.sock"], ["src", "unix:@netlab-test-*"], ["state", "listening"]):
        assert netlab_set(crowd, "x", words) == ss_set(crowd, "x", words), words


def test_repeated_ports_combine_with_or(crowd):
    """--port 443 --port 8080 is either port (it was the last one alone); different options all hold."""
    ours = netlab_set(crowd, "t", [], ("--port", "443", "--port", "8080"))
    theirs = ss_set(crowd, "t", ["( sport = :443 or dport = :443 or sport = :8080 or dport = :8080 )"])
    assert ours == theirs and {e.rsplit(":", 1)[1] for pair in ours for e in pair} >= {"443", "8080"}
    ours = netlab_set(crowd, "t", [], ("--sport", "443", "--sport", "8080", "--dport", "0"))
    assert ours == ss_set(crowd, "t", ["( sport = :443 or sport = :8080 ) and dport = :0"]) and len(ours) == 2


@pytest.mark.parametrize("words,needle", [
    (["( sport = :22"], "'(' without ')'"),
    (["sport = :22 )"], "syntax error at ')'"),
    (["(sport = :22)"], "brackets are words of their own"),
    (["sport = :nosuch"], '"nosuch" does not look like a port'),
    (["dst", "no..such..host"], "an inet prefix is expected"),
    (["dev", "nosuch0"], "cannot parse device 'nosuch0'"),
    (["state", "estab2"], "wrong state name 'estab2'"),
    (["state"], "state needs a state name"),
    (["sport", ">"], "sport needs a value"),
    (["src", "!=", "127.0.0.1"], "'!=' cannot follow this condition"),
    (["and"], "syntax error at 'and'"),
    (["sport = :22", "state", "listening"], "come first"),
    (["fwmark", "1"], "not supported"),
    (["sport = :70000"], "out of range"),
])
def test_a_bad_expression_is_one_line_and_exit_2(crowd, words, needle):
    proc = run_netlab("conns", "--", *words, ns=crowd)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netlab: error: bad filter") or "wrong state" in lines[0], lines
    assert needle in lines[0], lines
    # ss refuses the same words (its exit status is 255 or 1)
    if words != ["sport = :70000"] and words[0] != "fwmark":
        assert ns_exec_fails(crowd, words)


def ns_exec_fails(ns, words) -> bool:
    return ns.exec(["ss", "-Htan", *words], check=False).returncode != 0


def test_the_kernel_runs_the_bytecode_and_agrees_with_python(crowd):
    """Each expression's bytecode alone (the kernel's selection) equals Python's evaluation of the
    unfiltered dump: the kernel accepts every program (no EINVAL fallback) and means the same."""
    from netlab.conns import Conn
    from netlab.core import diag
    from netlab.core.bytecode import compile_filter
    from netlab.core.ssfilter import parse

    compiled = 0
    with crowd.inside():
        everything = diag._dump_netlink(("tcp", "udp"), ("inet", "inet6"), diag.ALL_STATES, None, None, None,
                                        False, Conn)
        for words in EXPRESSIONS:
            selection = parse(words)
            code = compile_filter(selection.node)
            if code is None:
                continue
            compiled += 1
            kernel = diag._dump_netlink(("tcp", "udp"), ("inet", "inet6"), diag.ALL_STATES, None, None, None,
                                        False, Conn, code)
            match = selection.matcher()
            key = lambda c: (c.proto, c.local_addr, c.local_port, c.remote_addr, c.remote_port)  # noqa: E731
            if "autobound" in words or any(w.endswith("/0") for w in " ".join(words).split()):
                # autobound: the kernel asks whether bind() was given no port, Python (as ss) the
                # ephemeral range; /0: the kernel keeps the family, Python (as ss) does not
                continue
            assert {key(c) for c in kernel} == {key(c) for c in everything if match(c)}, words
    assert compiled >= 30


def test_count_by_is_ss_awk_sort_uniq(crowd):
    """--count-by remote_addr / local_port / state against counting ss -tanH's columns."""
    from collections import Counter

    lines = crowd.exec(["ss", "-tanH"]).stdout.splitlines()
    # ss writes some unspecified IPv6 peers as *
    peers = Counter(line.split()[4].rsplit(":", 1)[0].strip("[]").replace("*", "::") for line in lines)
    ports = Counter(int(line.split()[3].rsplit(":", 1)[1]) for line in lines)
    states = Counter(line.split()[0] for line in lines)
    for key, want in (("remote_addr", peers), ("local_port", ports), ("state", states)):
        proc = run_netlab("conns", "-ta", "--count-by", key, "--format", "json", ns=crowd)
        rows = json.loads(proc.stdout)
        got = {r["value"]: r["count"] for r in rows}
        assert got == dict(want), key
        assert [r["count"] for r in rows] == sorted(got.values(), reverse=True)
    top = json.loads(run_netlab("conns", "-ta", "--count-by", "remote_net/24", "--top", "2", "--format", "json",
                                ns=crowd).stdout)
    assert len(top) == 2 and top[0]["count"] >= top[1]["count"]
    table = run_netlab("conns", "-ta", "--count-by", "state", "-H", ns=crowd).stdout.splitlines()
    assert sorted((int(line.split()[0]), line.split()[1]) for line in table) == sorted(
        (n, s) for s, n in states.items())


def test_listeners_show_how_full_their_accept_queue_is(crowd):
    """population.py's backlog-5 listener holds 6 connections: 100%; the others are empty."""
    proc = run_netlab("conns", "-tl", "--format", "json", ns=crowd)
    fills = {r["local_port"]: r["accept_fill_pct"] for r in json.loads(proc.stdout)}
    assert 100.0 in fills.values() and fills[443] == 0.0
    table = run_netlab("conns", "-tl", ns=crowd).stdout.splitlines()
    assert table[0].split()[:5] == ["Netid", "State", "Recv-Q", "Send-Q", "Accept%"]
    assert any(line.split()[2:5] == ["6", "5", "100%"] for line in table[1:])


def _ss_words(ns, flags: list[str]) -> dict:
    """ss -Htan FLAGS: {(local, peer): the words after the endpoints, continuation lines joined}."""
    out = ns.exec(["ss", "-Htna", *flags]).stdout
    table, last = {}, None
    for line in out.splitlines():
        if line.startswith("\t"):
            table[last] += line.split()
            continue
        local, peer = _endpoints(line)
        last = (local, peer)
        table[last] = [w for w in line.split() if w.startswith(("timer:", "skmem:", "cgroup:"))]
    return table


def test_timers_memory_and_cgroup_as_ss_prints_them(crowd):
    """-o's timer:(name,time,retrans), -m's skmem:(...) and --cgroup's cgroup:PATH, socket by socket."""
    import re

    theirs = _ss_words(crowd, ["-o", "-m", "--cgroup"])
    proc = run_netlab("conns", "-ta", "-o", "-m", "--cgroup", "--format", "json", ns=crowd)
    ours = {}
    for rec in json.loads(proc.stdout):
        host = lambda a: f"[{a}]" if rec["family"] == "inet6" else a  # noqa: E731
        ours[(f"{host(rec['local_addr'])}:{rec['local_port'] or '*'}",
              f"{host(rec['remote_addr'])}:{rec['remote_port'] or '*'}")] = rec
    assert set(ours) == set(theirs)
    timers = 0
    for key, words in theirs.items():
        rec = ours[key]
        timer = [w for w in words if w.startswith("timer:")]
        if timer:  # the time left moves between the two dumps: the name, and the format
            name, left, _retrans = re.fullmatch(r"timer:\((\w+),([^,]*),(\d+)\)", timer[0]).groups()
            assert rec["timer"] == name, key
            assert re.fullmatch(r"(\d+min)?(\d+(sec|\.))?(\d{3}(ms|sec))?", left), left
            timers += 1
        else:
            assert rec["timer"] == "off", key
        # request sockets (SYN-RECV) carry no cgroup: ss prints none, the JSON says null
        assert [w for w in words if w.startswith("cgroup:")] == ([f"cgroup:{rec['cgroup']}"] if rec["cgroup"] else []), key
        if rec["state"] == "LISTEN":  # a quiet socket: its memory does not move
            from netlab.conns.text import ss_skmem

            assert [w for w in words if w.startswith("skmem:")] == [ss_skmem(rec["skmem"])], key
    assert timers >= 2  # TIME-WAIT and SYN-SENT at least
    table = run_netlab("conns", "-ta", "-o", "state", "time-wait", ns=crowd).stdout
    assert re.search(r"timer:\(timewait,\d+(\.\d{3})?sec,0\)", table), table


def test_ss_ms_timer_spellings():
    from netlab.conns.text import ss_ms_timer

    # print_ms_timer's cases: minutes drop the ms, 10+ minutes drop the seconds, 10+ seconds drop the ms
    assert [ss_ms_timer(ms) for ms in (0, 200, 1204, 59000, 12345, 61500, 7140000, 600001)] == [
        "", "200ms", "1.204sec", "59sec", "12sec", "1min1sec", "119min", "10min"]


def test_packet_sockets_as_ss_lists_them(ns):
    """-0: AF_PACKET sockets, raw and datagram, bound to an interface or not, as ss -0 lists them."""
    with ns.inside():
        every = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
        ipv4 = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        ipv4.bind(("lo", 0x0800))
    try:
        theirs = sorted(tuple(line.split()) for line in crowd_exec(ns, ["ss", "-H0a"]).splitlines())
        proc = run_netlab("conns", "-0", "-H", ns=ns)
        ours = sorted(tuple(line.split()[:6]) for line in proc.stdout.splitlines())
        assert ours == theirs and len(ours) == 2, (ours, theirs)
        records = json.loads(run_netlab("conns", "-0", "--format", "json", ns=ns).stdout)
        assert sorted((r["packet_type"], r["ethertype"], r["interface"]) for r in records) == [
            ("dgram", 0x0800, "lo"), ("raw", 3, None)]
        assert all(r["pid"] for r in records)  # this test process holds them
    finally:
        every.close()
        ipv4.close()


def crowd_exec(ns, argv) -> str:
    return ns.exec(argv).stdout


def test_the_python_api_takes_the_same_filter(crowd):
    import netlab

    words = ["state", "established", "( dport = :443 or sport = :443 )"]
    with crowd.inside():
        conns = netlab.connections(filter=words, owners=False)
        one_string = netlab.connections(filter=" ".join(words), owners=False)  # ss wants state apart; we split
    ours = {(f"{c.local_addr}:{c.local_port}", f"{c.remote_addr}:{c.remote_port}") for c in conns}
    assert ours == ss_set(crowd, "tu", words) and len(ours) >= 2
    assert {(c.local_port, c.remote_port) for c in one_string} == {(c.local_port, c.remote_port) for c in conns}


@pytest.mark.parametrize("protos", ["tu", "t"])
def test_a_filter_the_kernel_runs_alone_prints_the_records_table(crowd, protos):
    """Such a filter is listed from the packed dump by the C table (netlab.conns.plain), not by the
    records: the same bytes as the records' table (--sort proto takes the records' path and keeps the
    dump's order, already by protocol), and ss's sockets."""
    from netlab.core.ssfilter import parse

    alone = 0
    for words in EXPRESSIONS:
        plain = run_netlab("conns", f"-{protos}an", "--", *words, ns=crowd)
        records = run_netlab("conns", f"-{protos}an", "--sort", "proto", "--", *words, ns=crowd)
        assert plain.returncode == records.returncode == 0, (words, plain.stderr, records.stderr)
        assert (plain.stdout, plain.stderr) == (records.stdout, records.stderr), words
        assert {_endpoints(line) for line in plain.stdout.splitlines()[1:]} == ss_set(crowd, protos, words), words
        alone += parse(words).kernel_alone() or parse(words).node is None
    assert alone >= 45, alone
