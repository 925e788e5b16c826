"""`netlab capture` on files, beside tcpdump: -c, --count, -w, jsonl keys, --stats, --layers, errors, pipes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.pcapgen import write_mixed_pcap
from netlab.capture.reader import OfflineCapture
from tests.helpers.cli import netlab_argv, run_netlab
from tests.helpers.env import CONFORMANCE, require_tool, ROOT

PCAPS = CONFORMANCE / "tcpdump" / "pcaps"
WHOIS = PCAPS / "whois.pcap"
JSONL_KEYS = {"time", "len", "caplen", "link", "src_mac", "dst_mac", "src", "dst", "proto", "sport", "dport", "tcp_flags", "seq", "ack",
              "icmp_type", "ttl", "ip_id", "tcp_window", "payload_len", "ifindex", "direction", "summary"}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mixed") / "mixed.pcap"
    write_mixed_pcap(str(path), 5000)
    return path


def tcpdump(*args: str) -> subprocess.CompletedProcess:
    require_tool("tcpdump")
    return subprocess.run(["tcpdump", *args], capture_output=True, text=True, timeout=60)


def test_reading_prints_tcpdumps_lines_and_banner(mixed):
    theirs = tcpdump("-n", "-r", str(mixed))
    mine = run_netlab("capture", "-n", "-r", str(mixed))
    assert mine.returncode == 0
    assert mine.stdout == theirs.stdout
    assert mine.stderr == theirs.stderr  # "reading from file ..., link-type EN10MB (Ethernet), snapshot length 262144"


@pytest.mark.parametrize("count", ["1", "7"])
def test_count_option_stops_after_n(mixed, count):
    theirs = tcpdump("-n", "-c", count, "-r", str(mixed), "udp")
    mine = run_netlab("capture", "-n", "-c", count, "-r", str(mixed), "udp")
    assert mine.returncode == 0
    assert mine.stdout == theirs.stdout
    assert len(mine.stdout.splitlines()) == int(count)


@pytest.mark.parametrize("expression", ["", "tcp", "icmp or arp", "ip6 and udp", "len >= 300", "tcp[13] == 2"])
def test_count_mode_matches_tcpdump(mixed, expression):
    args = expression.split()
    theirs = tcpdump("--count", "-r", str(mixed), *args)
    mine = run_netlab("capture", "--count", "-r", str(mixed), *args)
    assert mine.returncode == 0
    assert mine.stdout == theirs.stdout  # "N packets" / "1 packet"
    assert int(mine.stdout.split()[0]) > 0


def test_count_mode_singular_and_with_c():
    theirs = tcpdump("--count", "-c", "1", "-r", str(WHOIS))
    mine = run_netlab("capture", "--count", "-c", "1", "-r", str(WHOIS))
    assert mine.stdout == theirs.stdout == "1 packet\n"


def test_write_is_byte_identical_to_tcpdumps(tmp_path, mixed):
    for source, expression in ((WHOIS, "tcp"), (mixed, "udp or icmp")):
        mine, theirs = tmp_path / "netlab.pcap", tmp_path / "tcpdump.pcap"
        assert run_netlab("capture", "-r", str(source), "-w", str(mine), *expression.split()).returncode == 0
        tcpdump("-r", str(source), "-w", str(theirs), *expression.split())
        assert mine.read_bytes() == theirs.read_bytes()


def test_nanosecond_file_keeps_its_nanoseconds():
    nano = PCAPS / "tcp-handshake-nano.pcap"
    for options in (["-tt", "--nano"], ["-tt"]):
        theirs = tcpdump("-n", *options, "-r", str(nano))
        mine = run_netlab("capture", "-n", *options, "-r", str(nano))
        stamps = [line.split()[0] for line in mine.stdout.splitlines()]
        assert stamps == [line.split()[0] for line in theirs.stdout.splitlines()]
        assert len(stamps[0].split(".")[1]) == (9 if "--nano" in options else 6)


def test_pcapng_is_read(tmp_path):
    path = PCAPS / "icmpv6-length-zero.pcapng"
    theirs = tcpdump("-n", "-r", str(path))
    mine = run_netlab("capture", "-n", "-r", str(path))
    assert mine.returncode == 0
    assert len(mine.stdout.splitlines()) == len(theirs.stdout.splitlines()) > 0
    assert mine.stdout == theirs.stdout


def test_jsonl_keys_are_pinned(mixed):
    proc = run_netlab("capture", "-c", "40", "-r", str(mixed), "--format", "jsonl")
    assert proc.returncode == 0
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 40
    for record in records:
        assert set(record) == JSONL_KEYS
    text = run_netlab("capture", "-c", "40", "-r", str(mixed)).stdout.splitlines()
    assert [r["summary"] for r in records] == text
    tcp = next(r for r in records if r["proto"] == "tcp")
    assert tcp["src"].startswith("10.77.0.") and isinstance(tcp["sport"], int) and tcp["tcp_flags"]
    assert all(isinstance(r["time"], float) and r["time"] > 1.5e9 for r in records)
    assert list(records[0])[:6] == ["time", "len", "caplen", "link", "src_mac", "dst_mac"]


def test_arp_records_carry_ips_as_tcpdump_prints_them_and_macs_apart(mixed):
    proc = run_netlab("capture", "-c", "5", "-r", str(mixed), "--format", "jsonl", "arp")
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert records and all(r["proto"] == "arp" for r in records)
    mac = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
    for r in records:
        assert mac.match(r["src_mac"]) and mac.match(r["dst_mac"])
        if "Request who-has" in r["summary"]:  # tcpdump: who-has TARGET tell SENDER
            assert f"who-has {r['dst']} tell {r['src']}," in r["summary"]
        else:  # Reply SENDER is-at MAC
            assert f"Reply {r['src']} is-at {r['src_mac']}" in r["summary"]


def test_stats_table_counts_agree_with_tcpdump(mixed):
    proc = run_netlab("capture", "--stats", "-r", str(mixed))
    assert proc.returncode == 0
    assert proc.stdout.startswith("5000 packets, ")
    for title in ("Top hosts by packets", "Top hosts by bytes", "Top flows by packets", "Top flows by bytes", "Protocols"):
        assert title in proc.stdout
    protocols = proc.stdout.split("Protocols")[1].splitlines()
    rows = {line.split()[0]: int(line.split()[1]) for line in protocols[2:] if line.strip()}
    for proto, expression in (("tcp", "tcp"), ("udp", "udp"), ("icmp", "icmp"), ("arp", "arp")):
        assert f"{rows[proto]} packets" == tcpdump("--count", "-r", str(mixed), expression).stdout.strip()


def test_stats_jsonl(mixed):
    proc = run_netlab("capture", "--stats", "--format", "jsonl", "-r", str(mixed), "icmp")
    data = json.loads(proc.stdout)
    assert data["packets"] == int(tcpdump("--count", "-r", str(mixed), "icmp").stdout.split()[0])
    assert set(data) == {"packets", "bytes", "hosts_by_packets", "hosts_by_bytes", "flows_by_packets",
                         "flows_by_bytes", "protocols"}
    assert data["protocols"][0]["key"] == "icmp"
    assert proc.stdout.count("\n") == 1  # one object, one line, nothing else


def test_stats_flow_keys_are_structured_and_the_table_unchanged(mixed):
    data = json.loads(run_netlab("capture", "--stats", "--format", "jsonl", "-r", str(mixed)).stdout)
    table = run_netlab("capture", "--stats", "-r", str(mixed)).stdout
    for entry in data["flows_by_packets"] + data["flows_by_bytes"]:
        key = entry["key"]
        assert list(key) == ["src", "sport", "dst", "dport", "proto"]
        assert isinstance(key["src"], str) and isinstance(key["proto"], str)
        left = key["src"] if key["sport"] is None else f"{key['src']}.{key['sport']}"
        right = key["dst"] if key["dport"] is None else f"{key['dst']}.{key['dport']}"
        assert f"{left} > {right} {key['proto']}" in table
    assert all(isinstance(h["key"], str) for h in data["hosts_by_packets"])


def test_layers_dissects_with_scapy():
    proc = run_netlab("capture", "--layers", "-c", "1", "-r", str(WHOIS))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert "Flags [S]" in lines[0]
    assert "###[ Ethernet ]###" in proc.stdout and "###[ TCP ]###" in proc.stdout
    assert "sport     = 44188" in proc.stdout


def test_list_devices_agrees_with_tcpdump():
    theirs = tcpdump("-D").stdout
    proc = run_netlab("capture", "-D")
    assert proc.returncode == 0
    names = {line.split(".", 1)[1].split()[0] for line in theirs.splitlines()}
    mine = proc.stdout.splitlines()
    assert mine and {line.split(".", 1)[1].split()[0] for line in mine} <= names
    lo = next(line for line in mine if line.split(".", 1)[1].startswith("lo "))
    assert lo.endswith("[Up, Running, Loopback]")
    their_lo = next(line for line in theirs.splitlines() if line.split(".", 1)[1].startswith("lo "))
    assert their_lo.split(" ", 1)[1] == lo.split(" ", 1)[1]


@pytest.mark.parametrize("args, message", [
    (["-r", "/nonexistent/x.pcap"], "cannot read /nonexistent/x.pcap"),
    (["-r", str(ROOT / "README.md")], "unknown file format"),
    (["-r", str(WHOIS), "-c", "0"], "invalid -c '0' (give an integer from 1 to 2147483647)"),
    (["-r", str(WHOIS), "--format", "xml"], "unknown format 'xml' for packets (use table or jsonl)"),
    (["-D", "--format", "xml"], "unknown format 'xml' for -D (use table, json, jsonl or csv)"),
    (["-r", str(WHOIS), "-s", "999999"], "invalid -s/--snapshot-length '999999' (give an integer from 0 to 262144)"),
    # -B is KiB: 2147483647 of them overflowed libpcap's int of bytes (tcpdump: "invalid packet buffer size")
    (["-i", "lo", "-c", "1", "-B", "2147483647"], "invalid -B/--buffer-size '2147483647' (give an integer from 1 to 2097151)"),
    (["-r", str(WHOIS), "-B", "0"], "invalid -B/--buffer-size '0' (give an integer from 1 to 2097151)"),
    (["-i", "\udcff", "-c", "1"], "invalid -i/--interface '\\xff' (not valid UTF-8)"),
    (["-i", "", "-c", "1"], "invalid -i/--interface '' (give an interface name, or any)"),  # captured on the default one
    (["-r", str(WHOIS), "tcp", "port", "\udcff"], "invalid EXPRESSION '\\xff' (not valid UTF-8)"),
    (["-r", str(WHOIS), "-Q", "\udcff"], "invalid -Q/--direction '\\xff' (not valid UTF-8)"),
    (["-i", "nonexistent0", "-c", "1"], "nonexistent0"),
    # tcpdump says "tcpdump: : No such file or directory" and exits 1 for both empty names
    (["-r", ""], "invalid -r '' (give a file name, or '-' for standard input)"),
    (["-w", "", "-r", str(WHOIS)], "invalid -w '' (give a file name, or '-' for standard output)"),
    (["-w", "", "-i", "lo", "-c", "1"], "invalid -w '' (give a file name, or '-' for standard output)"),
])
def test_bad_input_is_one_line(args, message):
    proc = run_netlab("capture", *args)
    assert proc.returncode == 2, proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("netlab: error: ") and message in errors[0]
    assert "Traceback" not in proc.stderr


def test_write_with_a_print_format_is_refused_and_writes_nothing(tmp_path):
    out = tmp_path / "out.pcap"
    proc = run_netlab("capture", "-r", str(WHOIS), "-w", str(out), "--format", "jsonl")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == ["netlab: error: --format applies to printed packets; -w writes a pcap "
                                        "(read it back with: netlab capture -r FILE --format jsonl)"]
    assert not out.exists()


def test_truncated_file_prints_what_it_read_then_one_error(tmp_path):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(WHOIS.read_bytes()[:700])
    theirs = tcpdump("-n", "-r", str(cut))
    proc = run_netlab("capture", "-n", "-r", str(cut))
    assert proc.stdout == theirs.stdout  # the complete packets before the cut
    assert proc.returncode == 2
    assert "truncated dump file" in proc.stderr and "Traceback" not in proc.stderr
    for expression in ([], ["tcp"]):  # filtered: libpcap's own read loop meets the damage
        assert run_netlab("capture", "-n", "-r", str(cut), *expression).stdout == theirs.stdout
        counted = run_netlab("capture", "--count", "-r", str(cut), *expression)
        assert counted.stdout == tcpdump("--count", "-r", str(cut), *expression).stdout == "5 packets\n"
        assert counted.returncode == 2 and "Traceback" not in counted.stderr


def test_closed_pipe_ends_quietly(mixed):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(netlab_argv("capture", "-n", "-r", str(mixed)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    _, err = proc.communicate(timeout=30)
    assert first
    assert proc.returncode == 0
    assert err.decode().strip().splitlines() == [f"reading from file {mixed}, link-type EN10MB (Ethernet), snapshot length 262144"]


def test_sigterm_while_writing_leaves_a_valid_file(tmp_path):
    big = tmp_path / "big.pcap"
    write_mixed_pcap(str(big), 200_000)
    out = tmp_path / "out.pcap"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # -U: every packet goes to the file as it is read, so the file grows while we watch.
    proc = subprocess.Popen(netlab_argv("capture", "-U", "-r", str(big), "-w", str(out)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 100_000):
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    assert proc.returncode == 0
    written = sum(1 for _ in OfflineCapture(str(out)))
    assert 0 < written < 200_000  # it did stop early
    theirs = tcpdump("-r", str(out))
    assert theirs.returncode == 0 and len(theirs.stdout.splitlines()) == written
    assert "truncated" not in theirs.stderr


def test_help_does_not_import_pcapy_or_scapy():
    code = ("import sys; from netlab.cli.app import register_commands; register_commands(); "
            "print('pcapy' in sys.modules, 'scapy' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout.strip() == "False False"


def _pcapng_nano(path: Path, frames: list[tuple[int, bytes]]) -> None:
    """A pcapng written by hand: SHB, an Ethernet IDB with if_tsresol=9 (nanoseconds), EPBs."""
    import struct

    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    idb = block(1, struct.pack("<HHI", 1, 0, 262144) + options)
    epbs = b""
    for ns, frame in frames:
        epbs += block(6, struct.pack("<IIIII", 0, ns >> 32, ns & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    path.write_bytes(shb + idb + epbs)


def test_pcapng_with_nanosecond_resolution(tmp_path):
    frames = [packet for *_, packet in OfflineCapture(str(WHOIS))][:3]
    stamps = [1_600_000_000_123_456_789, 1_600_000_000_999_999_999, 1_600_000_001_000_000_001]
    path = tmp_path / "nano.pcapng"
    _pcapng_nano(path, list(zip(stamps, frames)))
    for options in (["-tt", "--nano"], ["-tt"]):
        theirs = tcpdump("-n", *options, "-r", str(path))
        mine = run_netlab("capture", "-n", *options, "-r", str(path))
        assert mine.returncode == 0 and theirs.returncode == 0
        assert mine.stdout == theirs.stdout and mine.stdout
    assert run_netlab("capture", "-n", "-tt", "--nano", "-r", str(path)).stdout.startswith("1600000000.123456789 ")
    assert run_netlab("capture", "--count", "-r", str(path), "tcp").stdout == "3 packets\n"


def _pcapng_block(btype: int, body: bytes) -> bytes:
    import struct

    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


@pytest.mark.parametrize("btype, short_body", [(6, b"\0" * 8), (6, b""), (3, b""), (2, b"\0" * 8), (1, b"\1\0\0\0")])
def test_pcapng_block_too_short_for_its_fields_is_one_error(tmp_path, btype, short_body):
    import struct

    frame = [packet for *_, packet in OfflineCapture(str(WHOIS))][0]
    shb = _pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = _pcapng_block(1, struct.pack("<HHI", 1, 0, 262144))
    epb = _pcapng_block(6, struct.pack("<IIIII", 0, 0, 1000, len(frame), len(frame)) + frame)
    path = tmp_path / "short.pcapng"
    # The damaged block after one good packet: that packet is printed (and counted) first, as tcpdump does.
    path.write_bytes(shb + idb + epb + _pcapng_block(btype, short_body) + epb)
    for args in (["-n", "-r", str(path)], ["--count", "-r", str(path)], ["--count", "-r", str(path), "tcp"]):
        theirs = tcpdump(*args)
        mine = run_netlab("capture", *args)
        assert mine.stdout == theirs.stdout
        assert mine.returncode == 2, mine.stderr
        errors = [line for line in mine.stderr.splitlines() if not line.startswith("reading from file")]
        assert errors == [f"netlab: error: {path}: block of type {btype} in pcapng dump file is too short "
                          f"(block 3 at byte {len(shb + idb + epb)}: the file is damaged)"]


@pytest.mark.parametrize("args", [["-n", "tcp"], ["--count", "tcp"], ["--count"], ["-n", "-c", "3", "port", "43"]])
def test_pipe_with_a_filter_reads_like_tcpdump(args):
    # `-r <(cat f)`: libpcap cannot reopen a pipe whose header was already read, so the pipe is
    # filtered in Python; the lines and the count must still be tcpdump's.
    require_tool("tcpdump")
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def through_a_pipe(*command: str) -> subprocess.CompletedProcess:
        script = '"$@" -r <(cat "$PCAP")'
        return subprocess.run(["bash", "-c", script, "bash", *command, *args], capture_output=True, text=True,
                              timeout=60, env=dict(env, PCAP=str(WHOIS)))

    theirs = through_a_pipe("tcpdump")
    mine = through_a_pipe(*netlab_argv("capture"))
    assert mine.returncode == 0 and theirs.returncode == 0, mine.stderr
    assert mine.stdout == theirs.stdout and mine.stdout
    assert "error" not in mine.stderr and "Traceback" not in mine.stderr


@pytest.mark.parametrize("args", [["-w", "/dev/full"], ["-U", "-w", "/dev/full"], ["-n"], ["--count"], ["--count", "tcp"],
                                  ["--stats"], ["--format", "jsonl"]])
def test_full_disk_is_one_error_exit_2(args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open("/dev/full", "w") as full:
        proc = subprocess.run(netlab_argv("capture", "-r", str(WHOIS), *args), stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, env=env)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("reading from file")]
    what = "/dev/full" if "-w" in args else "the output"
    assert errors == [f"netlab: error: cannot write {what}: No space left on device "
                      "(the disk is full or the file too big; write elsewhere)"]


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("many") / "many.pcap"
    write_mixed_pcap(str(path), 500_000)
    return path


@pytest.mark.parametrize("expression", [[], ["tcp"]])
def test_ctrl_c_during_count_prints_the_count_so_far(many, expression):
    # tcpdump --count -r, interrupted, prints what it counted and exits 0; so does netlab
    # (it used to die with 130 and no count: libpcap's C loop ran before any handler was set).
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(netlab_argv("capture", "--count", "-r", str(many), *expression), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = proc.stderr.readline()
        proc.send_signal(signal.SIGINT)  # the moment the banner shows
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert banner.startswith("reading from file")
    assert proc.returncode == 0, err
    assert err == "" and "Traceback" not in err
    counted, word = out.split()
    assert word in ("packet", "packets") and 0 <= int(counted) <= 500_000 and out.endswith("\n")


# --- --stats KIND, --top, --follow, --chart: values and combinations ---------------------------

@pytest.mark.parametrize("args, words", [
    (["--stats", "bogus"], "invalid --stats 'bogus' (give talkers, conv"),
    (["--stats", "io,0"], "invalid --stats 'io,0' (io takes an interval of seconds from 0.001 to 86400)"),
    (["--stats", "io,1,"], "(give a pcap-filter expression after each comma)"),
    (["--follow", "tcp,x"], "invalid --follow 'tcp,x' (give tcp,STREAM or tcp,ADDR:PORT,ADDR:PORT)"),
    (["--top", "0", "--stats", "conv"], "invalid --top '0'"),
    (["--top", "3"], "--top applies to --stats conv, endpoints and tcp"),
    (["--top", "3", "--stats", "io,1"], "--top applies to --stats conv, endpoints and tcp"),
    (["--chart", "--stats", "conv"], "--chart draws --stats io as a table"),
    (["--chart", "--stats", "io,1", "--format", "csv"], "--chart draws --stats io as a table"),
    (["--follow", "tcp,0", "--format", "json"], "unknown format 'json' for --follow"),
    (["--follow", "tcp,0", "--stats", "conv"], "choose one of -w, --count, --stats, --layers, --follow"),
    (["--stats", "conv", "--format", "yaml"], "unknown format 'yaml' for --stats conv"),
    (["--stats", "io,1,tcp,hosst foo"], "can't parse filter expression"),
])
def test_bad_stats_values_are_one_line_and_exit_2(args, words):
    proc = run_netlab("capture", "-r", str(WHOIS), *args)
    said = [line for line in proc.stderr.splitlines() if not line.startswith("reading from file")]
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(said) == 1 and said[0].startswith("netlab: error: ") and words in said[0], proc.stderr


def test_stats_alone_is_the_talkers_and_a_filter_goes_after_the_double_dash():
    alone = run_netlab("capture", "-r", str(WHOIS), "--stats")
    named = run_netlab("capture", "-r", str(WHOIS), "--stats", "talkers")
    filtered = run_netlab("capture", "-r", str(WHOIS), "--stats", "--", "tcp", "port", "43")
    assert alone.returncode == named.returncode == filtered.returncode == 0
    assert alone.stdout == named.stdout == filtered.stdout
    assert alone.stdout.startswith("11 packets, ")


def test_stats_tcp_is_the_analysis_then_the_filter():
    proc = run_netlab("capture", "-r", str(WHOIS), "--stats", "tcp", "port", "43", "--format", "jsonl")
    (stream,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert (stream["stream"], stream["sport"], stream["dport"], stream["packets"]) == (0, 44188, 43, 11)


def test_chart_draws_one_bar_per_interval_scaled_to_the_busiest(mixed):
    proc = run_netlab("capture", "-r", str(mixed), "--stats", "io,0.001", "--chart")
    assert proc.returncode == 0, proc.stderr
    table, chart = proc.stdout.rstrip("\n").split("\n\n")
    rows = table.splitlines()[1:]
    bars = chart.splitlines()
    assert len(bars) == len(rows) >= 2
    counts = [int(line.rsplit("| ", 1)[1]) for line in bars]
    assert counts == [int(row.split()[3]) for row in rows]  # the table's PACKETS column
    widths = [len(line.split("|")[1].rstrip()) for line in bars]
    assert max(widths) == 40 and widths[counts.index(max(counts))] == 40
    for count, line in zip(counts, bars):  # each bar within an eighth of a cell of count/most
        eighths = sum(8 if c == "\u2588" else 0x2590 - ord(c) for c in line.split("|")[1].rstrip())
        assert abs(eighths - count * 320 / max(counts)) <= 0.5


def test_top_keeps_the_biggest_conversations(mixed):
    every = json.loads(run_netlab("capture", "-r", str(mixed), "--stats", "conv,udp", "--format", "json").stdout)
    top = json.loads(run_netlab("capture", "-r", str(mixed), "--stats", "conv,udp", "--top", "2",
                                "--format", "json").stdout)
    assert len(every) > 2 and top == every[:2]
    assert [c["bytes"] for c in every] == sorted((c["bytes"] for c in every), reverse=True)
