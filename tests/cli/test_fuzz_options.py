"""Every option of every command, given generated values, as a user runs netlab.

The options come from the real click commands, so a new option is fuzzed without
a line here (its value type must be one of netlab.cli.types: tests/unit/test_cli_types.py).
Each value is run in a new process inside a private network namespace (only
loopback there: no name lookup or probe can leave it), in a context that ends at
once (ping -c 1, capture -r of a small file, --iterations 1 for watches).

What must hold for any value:
- no exit 70 and no Traceback; an exit code from the documented list;
- a refusal (exit 2 or 3) is one line on stderr, ``netlab: error: ...``;
- where an independent oracle can judge the value (numbers, file names, UTF-8,
  formats), an invalid value is refused (exit 2, naming the option) and a valid one
  is not refused as a value (a command may still refuse it in combination: -4 -s 65527).

NETLAB_FUZZ_EXAMPLES=N runs N random examples per option (default: a few, the
same every run); NETLAB_FUZZ_SEED seeds the random ones.
"""

from __future__ import annotations

import math
import os
import re
import subprocess

import click
import pytest
import typer
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st

from bench.pcapgen import write_mixed_pcap
from netlab.cli import app as cli_app
from netlab.cli.types import FileName, Integer, IntegerList, Seconds, Text
from netlab.core import netns
from tests.helpers.cli import netlab_argv
from tests.helpers.env import ROOT

pytestmark = pytest.mark.privileged

LONG_RUN = os.environ.get("NETLAB_FUZZ_EXAMPLES")
EXAMPLES = int(LONG_RUN or 6)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG_RUN, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])
TIMEOUT = 30  # seconds for one run; every context below ends in well under one
DOCUMENTED_EXITS = {0, 1, 2, 3, 130}
HOST = "127.0.0.1"

# --format of each command, and the formats it takes in the context it is fuzzed in
FORMATS = {"conns": {"table", "json", "jsonl", "csv"}, "ping": {"table", "json", "jsonl", "csv"},
           "capture": {"table", "jsonl"}, "backlog": {"table", "json", "csv"},
           "reuseaddr-demo": {"table", "json", "jsonl", "csv"}, "lab": {"table", "json", "jsonl"}}
# Values that mean something to an option, so the fuzz also reaches the paths that work.
KNOWN = {
    "--state": ["listening", "established", "time-wait", "all", "LISTEN", "bucket"],
    "--sport": ["22", "http", "0", "65535"], "--dport": ["443", "ssh"], "--port": ["80", "domain"],
    "--src": ["127.0.0.1", "::1/128", "10.0.0.0/8", "[::1]"], "--dst": ["0.0.0.0/0", "::/0"],
    "--process": ["python*", "*", "init"], "--user": ["root", "0", "65534", "4294967295", "99999999999"],
    "--sort": ["recv_q", "-recv_q,local", "pid", "state"],
    "--interface": ["lo", HOST], "--pattern": ["ff", "0123456789abcdef0123456789abcdef", "f"],
    "--pmtudisc": ["do", "dont", "want", "probe"], "--direction": ["in", "out", "inout"],
    "--scenario": ["server-closes-first", "reuseport"], "--addr": ["127.0.0.1", "::1", "0.0.0.0"],
    "hosts": [HOST, "::1", "localhost", "fe80::1%lo", "fe80::1%nosuchif", "a" * 300, "1", "0x7f.1"],
    "expression": ["tcp", "udp port 53", "ip6", "port", "not (", "ether host 1:2:3:4:5:6",
                   "state established ( dport = :443 or sport = :443 )", "dst 10.0.0.0/8", "sport gt :1024",
                   "dev lo", "state bucket", "exclude listening src [::1]", "autobound", "( sport = :22"],
    "--count-by": ["remote_addr", "remote_net/24", "local_port", "process", "state", "remote_net/200"],
    "names": ["socket-call", "byteorder", "list", "nosuch"], "command": ["conns", "lab", "nosuch"],
    "--listen": ["127.0.0.1:0", "[::1]:0", "127.0.0.1:99999", "localhost:0", "[::1]"],
    "--config": ["/nonexistent.toml", "/etc/hostname", "/dev/null"],
    "--linktype": ["EN10MB", "linux_sll", "DOCSIS", "DLT_EN10MB"], "--time-stamp-type": ["host", "ADAPTER"],
    "--time-stamp-precision": ["nano", "micro", "NANO", "nanosecond"],
    "--relinquish-privileges": ["nobody", "root", "nosuchuser", "0"], "-F": ["/dev/null", "/etc/hostname", "/"],
    "--stats": ["conv", "conv,tcp,eth", "endpoints,ip", "io,0.5,tcp,udp", "io,0", "io,1,nosuch", "tcp", "talkers"],
    "--follow": ["tcp,0", "tcp,99", "tcp,127.0.0.1:1,[::1]:2", "tcp,[::1]:99999,1.2.3.4:5", "udp,0"],
}
# A valid value of these would run long: generate valid ones up to here (invalid ones anyway).
CHEAP_MAX = {("backlog", "--connects"): 200, ("backlog", "--accept-delay"): 0.3,
             ("backlog", "--timeline-clients"): 4, ("backlog", "--backlog"): 200, ("backlog", "--somaxconn"): 200,
             ("backlog", "--max-syn-backlog"): 64, ("backlog", "--iterations"): 3, ("conns", "--iterations"): 3}


def value_params() -> list[tuple[str, click.Parameter]]:
    """(command, parameter) for every parameter that takes a value, from the click commands."""
    cli_app.register_commands()
    group = typer.main.get_command(cli_app.app)
    return [(name, param) for name, command in group.commands.items() for param in command.params
            if not (isinstance(param, click.Option) and (param.is_flag or param.count))]


def key(param: click.Parameter) -> str:
    """The option's long name (--count), or an argument's name (hosts)."""
    if isinstance(param, click.Argument):
        return param.name
    return max(param.opts, key=len)


def names(param: click.Parameter) -> str:
    """How an error line names the option: -c/--count, or HOST for an argument."""
    if isinstance(param, click.Argument):
        return param.metavar.upper().strip(".[]")
    return "/".join(sorted(param.opts, key=lambda name: name.startswith("--")))


# ---------------------------------------------------------------- the oracles, written apart from netlab.cli.types

def ascii_integer(text: str) -> int | None:
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 40:
        return None
    return int(text)


def ascii_seconds(text: str) -> float | None:
    if not text.isascii() or any(c in text for c in "_ \t\n\r\f\vxX") or "inf" in text.lower() or "nan" in text.lower():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def undecodable(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


def valid_value(command: str, param: click.Parameter, text: str) -> bool | None:
    """True or False where the value alone decides; None where only the command can tell."""
    kind = param.type
    if undecodable(text):
        return isinstance(kind, FileName)  # a file name may be any bytes
    if isinstance(kind, Integer):
        number = ascii_integer(text)
        if number is None and kind.rule.hex and re.fullmatch(r"0[xX][0-9a-fA-F]{1,38}", text):
            number = int(text, 16)
        return number is not None and kind.rule.low <= number <= kind.rule.high
    if isinstance(kind, Seconds):
        number = ascii_seconds(text)
        return number is not None and kind.rule.low <= number <= kind.rule.high
    if isinstance(kind, IntegerList):
        low, high = kind.rule.item.low, kind.rule.item.high
        parts = [ascii_integer(part.strip(" ")) for part in text.split(",")]
        return all(p is not None and low <= p <= high for p in parts)
    if isinstance(kind, FileName):
        return text != ""
    if text == "" and key(param) in ("--interface", "--sort"):
        return False  # empty would mean "not given": refused
    if key(param) == "--format":
        return text in FORMATS[command]
    return None


# ---------------------------------------------------------------- the values

def argv_text() -> st.SearchStrategy[str]:
    """Any text an argv can carry: no NUL; odd Unicode; bytes that are not UTF-8; long ones."""
    chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    not_utf8 = st.binary(min_size=1, max_size=12).map(lambda b: b.replace(b"\0", b"").decode("utf-8", "surrogateescape"))
    odd = st.sampled_from(["", " ", "-", "--", "²", "１", "٣", "1_000", "0x10", "1e3", "inf", "-inf", "nan",
                           "NaN", "Infinity", "1e999", "-0", "+1", " 1", "1 ", "\t", "\u202e", "é", "ß" * 64,
                           "x" * 4096, "9" * 5000, "%s%n", "../..", "-h"])
    return st.one_of(st.text(chars, max_size=40), not_utf8, odd)


def numbers_around(low: float, high: float, cheap_high: float, integral: bool) -> st.SearchStrategy[str]:
    """Numbers in [low, cheap_high] (valid, and quick to run), and numbers outside [low, high]."""
    if integral:
        inside = st.integers(int(low), int(cheap_high)).map(str)
        outside = st.one_of(st.integers(max_value=int(low) - 1), st.integers(min_value=int(high) + 1)).map(str)
        huge = st.sampled_from([str(2**31), str(2**63), str(-2**63 - 1), str(2**64), "1" + "0" * 100])
        return st.one_of(inside, inside, outside, huge)
    inside = st.floats(low, cheap_high, allow_nan=False, allow_infinity=False).map(repr)
    outside = st.one_of(st.floats(max_value=low, exclude_max=True), st.floats(min_value=high, exclude_min=True)).map(repr)
    return st.one_of(inside, inside, outside, st.sampled_from(["1e999", "-1e999", "1e-999", ".5"]))


def values(command: str, param: click.Parameter) -> st.SearchStrategy[str]:
    kind = param.type
    cap = CHEAP_MAX.get((command, key(param)))
    strategies = [argv_text()]
    if isinstance(kind, (Integer, Seconds)):
        cheap = min(kind.rule.high, cap) if cap is not None else kind.rule.high
        strategies.append(numbers_around(kind.rule.low, kind.rule.high, cheap, isinstance(kind, Integer)))
    if isinstance(kind, IntegerList):
        high = min(kind.rule.item.high, cap) if cap is not None else kind.rule.item.high
        items = st.integers(kind.rule.item.low, high).map(str) | st.integers(-5, 2**32).map(str) | argv_text()
        strategies.append(st.lists(items, min_size=1, max_size=4).map(",".join))
    if key(param) == "--format":
        strategies.append(st.sampled_from(sorted(FORMATS[command]) + ["TABLE", "yaml", "json "]))
    if key(param) in KNOWN:
        strategies.append(st.sampled_from(KNOWN[key(param)]))
    return st.one_of(strategies)


# ---------------------------------------------------------------- the contexts: each run ends at once

def context(command: str, param: click.Parameter, value: str, pcap: str) -> list[str]:
    """The command line that gives this option this value."""
    opt = key(param)
    flag = param.opts[0] if isinstance(param, click.Option) else None
    if command == "conns":
        if opt == "expression":
            return ["conns", "--", value]
        if opt == "--watch":
            return ["conns", "--watch", value, "--iterations", "1"]
        if opt == "--iterations":
            return ["conns", "--watch", "0.01", "--iterations", value]
        return ["conns", flag, value]
    if command == "ping":
        if opt == "hosts":
            return ["ping", "-c", "1", "-W", "1", "--", value]
        if opt in ("--count", "--interval"):
            return ["ping", "-w", "1", flag, value, HOST]  # -c N or -i N: the deadline ends it
        if opt == "--deadline":
            return ["ping", "-c", "1", flag, value, HOST]
        return ["ping", "-c", "1", "-W", "1", flag, value, HOST]
    if command == "capture":
        if opt == "expression":
            return ["capture", "-r", pcap, "--", value]
        if opt == "-r":
            return ["capture", "-r", value]
        if opt == "--interface":
            return ["capture", "-c", "1", "-i", value]  # real interfaces are not drawn: they would wait
        return ["capture", "-r", pcap, flag, value]
    if command == "backlog":
        if opt == "--watch":
            return ["backlog", "-n", "1", "--watch", value]
        if opt == "--iterations":
            return ["backlog", "--watch", "0.05", "-n", value]
        if opt in ("--port", "--pid"):
            return ["backlog", "--watch", "0.05", "-n", "1", flag, value]
        probe = {"-b": "1", "-s": "8", "-c": "2"}
        probe.pop(flag, None)
        extra = {"--syncookies": ["--syn-queue"], "--max-syn-backlog": ["--syn-queue"],
                 "--accept-delay": ["--timeline", "--timeline-clients", "1"],
                 "--timeline-clients": ["--timeline", "--accept-delay", "0"]}.get(opt, [])
        return ["backlog", *[w for pair in probe.items() for w in pair], *extra, flag, value]
    if command == "reuseaddr-demo":
        scenario = [] if opt == "--scenario" else ["-s", "listener-alive"]
        return ["reuseaddr-demo", *scenario, flag, value]
    if command == "lab":
        if opt == "names":
            return ["lab", "--", value]
        return ["lab", "socket-call", flag, value]  # socket-call: the quickest experiment
    if command == "exporter":
        return ["exporter", "--once", flag, value]  # one scrape on stdout: no server left running
    if command == "schema":
        return ["schema", "--", value]
    raise AssertionError(f"no context for {command}: fuzz it here")


def interfaces(ns: netns.Namespace) -> set[str]:
    """Names an -i could capture on in the namespace: they would wait for a packet."""
    names = {"any", "lo"}
    for line in ns.ip("-o", "link").stdout.splitlines():
        index, name = line.split(":")[:2]
        names |= {index.strip(), name.strip().split("@")[0]}
    return names


class Space:
    """A private network namespace with loopback up, for the runs.

    Named outside netlab's own pattern (netlab-PID-N): netns.remove_stale(), run by
    another test on this shared machine from a PID namespace where our pytest cannot
    be seen, deletes those. Made again if it went anyway.
    """

    def __init__(self):
        self.ns = netns.Namespace(f"fuzzopts-{os.getpid()}")
        self.get()

    def get(self) -> netns.Namespace:
        if not os.path.exists(self.ns.path):
            subprocess.run(["ip", "netns", "add", self.ns.name], check=True, timeout=30)
            self.ns.ip("link", "set", "lo", "up")
        return self.ns

    def delete(self) -> None:
        self.ns.delete()


def run(argv: list[str], ns: netns.Namespace, cwd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NETLAB_DEBUG", None)
    # bytes out: -w - writes a pcap to stdout, and a refusal may quote any bytes
    return subprocess.run(netlab_argv(*argv, ns=ns), capture_output=True, timeout=TIMEOUT, env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def space():
    holder = Space()
    try:
        yield holder
    finally:
        holder.delete()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    pcap = folder / "small.pcap"
    write_mixed_pcap(str(pcap), 5)
    work = folder / "cwd"  # where -w writes its generated names
    work.mkdir()
    return str(pcap), str(work)


PARAMS = value_params()


@pytest.mark.parametrize("command,param", PARAMS, ids=[f"{c} {key(p)}" for c, p in PARAMS])
def test_any_value_gets_a_clear_answer(command, param, space, files):
    pcap, cwd = files
    if key(param) == "--interface" and command == "capture":
        live = interfaces(space.get())
    else:
        live = set()

    @SETTINGS
    @seed(int(os.environ.get("NETLAB_FUZZ_SEED", "17")))
    @given(value=values(command, param))
    def check(value):
        assume(value not in live)
        if (command, key(param)) in (("capture", "-w"), ("lab", "--report")):
            assume("/" not in value)  # generated names stay in the scratch folder
        argv = context(command, param, value, pcap)
        proc = run(argv, space.get(), cwd)
        if not os.path.exists(space.ns.path):  # deleted under the run (see Space): once more
            proc = run(argv, space.get(), cwd)
        out = proc.stderr.decode("utf-8", "backslashreplace")
        said = [line for line in out.splitlines()
                if not line.startswith(("reading from file", "listening on", "netlab: note:"))]
        what = f"netlab {' '.join(map(repr, argv))} -> exit {proc.returncode}, stderr {out[-600:]!r}"
        assert "Traceback" not in out, what
        assert proc.returncode in DOCUMENTED_EXITS, what
        if proc.returncode in (2, 3):
            assert len(said) == 1 and said[0].startswith("netlab: error: "), what
        valid = valid_value(command, param, value)
        refused_as_value = f"netlab: error: invalid {names(param)} '" in out
        if valid is False:
            assert proc.returncode == 2 and (refused_as_value or key(param) == "--format"), what
        if valid is True:
            assert not refused_as_value, what
            if key(param) == "--format":
                assert proc.returncode != 2 or "unknown format" not in out, what
        if undecodable(value) and isinstance(param.type, Text):
            assert "(not valid UTF-8)" in out, what

    check()
