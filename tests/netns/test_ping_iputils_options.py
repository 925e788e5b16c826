"""iputils ping's options, each run with netlab and iputils on the same hosts in private namespaces.

The comparison is test_ping_netns's: exit codes, counts, and every stdout line's
shape (numbers masked). Where an option changes the packets themselves (-m, -F,
-e), nftables in the namespace counts what went out, for both tools.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.helpers.cli import run_netlab
from tests.netns.test_ping_netns import assert_same, both, counts, iputils, no_icmp_ratelimit, shapes

pytestmark = pytest.mark.privileged

FAST = ("-c", "3", "-i", "0.05")


# --- the two bugs -------------------------------------------------------------------------------

def test_ping_zero_pings_this_host_like_iputils(ns):
    ours, theirs = both(ns, "-c", "2", "-i", "0.05", "0")
    assert_same(ours, theirs)
    assert ours.stdout.startswith("PING 0 (127.0.0.1) 56(84) bytes of data.\n")
    assert "64 bytes from 127.0.0.1: icmp_seq=1" in ours.stdout and ours.returncode == 0


@pytest.mark.parametrize("flag,target", [("-4", "198.51.100.1"), ("-6", "2001:db8::1")])
def test_no_route_is_one_line_and_exit_2_at_once(ns, flag, target):
    """A namespace with only lo up has no route anywhere: nothing can leave it."""
    started = time.monotonic()
    ours = run_netlab("ping", "-c", "2", flag, target, ns=ns)
    elapsed = time.monotonic() - started
    theirs = iputils(ns, "-c", "2", flag, target)
    assert ours.returncode == theirs.returncode == 2
    assert ours.stdout == theirs.stdout == ""
    assert theirs.stderr == "ping: connect: Network is unreachable\n"
    assert ours.stderr.startswith("netlab: error: connect: Network is unreachable") and ours.stderr.count("\n") == 1
    assert elapsed < 1.0, elapsed  # at once (it waited out 1.1 s of probes before)


# --- -4 / -6 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["-4", "-6"])
def test_family_flags_pick_the_address_like_iputils(ns, flag):
    ns.exec(["sh", "-c", "true"])  # loopback is up in every namespace of ours
    ours, theirs = both(ns, flag, *FAST, "127.0.0.1" if flag == "-4" else "::1")
    assert_same(ours, theirs)
    wrong = both(ns, flag, "-c", "1", "::1" if flag == "-4" else "127.0.0.1")
    assert wrong[0].returncode == wrong[1].returncode == 2
    assert "Address family for hostname not supported" in wrong[0].stderr


# --- the options that change only what is printed ------------------------------------------------

@pytest.mark.parametrize("flag", ["-a", "-d", "-U", "-B", "-r", "-L"])
def test_flags_output_like_iputils(veth, flag):
    ours, theirs = both(veth.a, flag, *FAST, "10.77.0.2")
    assert_same(ours, theirs)
    if flag == "-a":
        assert ours.stdout.count("ms\a\n") == 3


def test_strict_source_header_names_the_source(veth):
    ours, theirs = both(veth.a, "-B", *FAST, "10.77.0.2")
    assert_same(ours, theirs)
    assert ours.stdout.splitlines()[0] == theirs.stdout.splitlines()[0] == \
        "PING 10.77.0.2 (10.77.0.2) from 10.77.0.1 : 56(84) bytes of data."


def test_verbose_shows_resolver_line_and_identifier(veth):
    ours, theirs = both(veth.a, "-v", "-e", "4242", *FAST, "10.77.0.2")
    assert_same(ours, theirs)
    assert ours.stdout.splitlines()[0] == "ai->ai_family: AF_INET, ai->ai_canonname: '10.77.0.2'"
    assert ours.stdout.count(" ident=4242 ") == 3


def test_verbose_on_a_datagram_socket_like_iputils(veth):
    """With ping_group_range open both tools use a datagram socket: no identifier of theirs to show, unless -e."""
    veth.a.sysctl("net.ipv4.ping_group_range", "0 2147483647")
    ours, theirs = both(veth.a, "-v", *FAST, "10.77.0.2")
    assert_same(ours, theirs)
    assert " ident=" not in ours.stdout
    ours, theirs = both(veth.a, "-v", "-e", "4343", *FAST, "10.77.0.2")
    assert_same(ours, theirs)
    assert ours.stdout.count(" ident=4343 ") == 3


def test_version_exits_0(veth):
    proc = run_netlab("ping", "-V", ns=veth.a)
    assert proc.returncode == 0 and re.fullmatch(r"netlab ping from netlab \S+\n", proc.stdout)


def test_sndbuf_like_iputils(veth):
    assert_same(*both(veth.a, "-S", "65536", *FAST, "10.77.0.2"))


def test_bypass_route_refuses_a_routed_host_like_iputils(routed):
    ours, theirs = both(routed.client, "-r", "-c", "2", "-i", "0.05", "-W", "1", "10.77.2.1")
    assert ours.returncode == theirs.returncode
    assert counts(ours.stdout)[:2] == counts(theirs.stdout)[:2]
    assert shapes(ours.stdout) == shapes(theirs.stdout), f"ours:\n{ours.stdout}\niputils:\n{theirs.stdout}"
    # iputils counts such a probe as sent and says nothing (its error queue is empty);
    # netlab counts it the same and says why on stderr.
    assert theirs.stderr == ""
    assert ours.stderr == "netlab: sendmsg: Network is unreachable\n" * 2


# --- the options that change the packets: counted by nftables ------------------------------------

def _counted(ns, table: str) -> int:
    return int(re.search(r"counter packets (\d+)", ns.exec(["nft", "list", "table", *table.split()]).stdout).group(1))


def test_mark_reaches_nftables_like_iputils(veth):
    for run in (lambda: run_netlab("ping", "-m", "42", *FAST, "10.77.0.2", ns=veth.a),
                lambda: iputils(veth.a, "-m", "42", *FAST, "10.77.0.2")):
        veth.a.nft("flush ruleset\ntable inet m {\n chain out {\n type filter hook output priority 0;\n"
                   " meta mark 42 icmp type echo-request counter\n }\n}\n")
        proc = run()
        assert proc.returncode == 0 and counts(proc.stdout)[:2] == (3, 3), proc.stderr
        assert _counted(veth.a, "inet m") == 3


def test_flowlabel_on_the_wire_like_iputils(veth):
    # Two labels: a label leased exclusively lingers a few seconds after its socket closes.
    for label, run in (("0x12345", lambda: run_netlab("ping", "-F", "0x12345", *FAST, "fd77::2", ns=veth.a)),
                       ("0x12346", lambda: iputils(veth.a, "-F", "0x12346", *FAST, "fd77::2"))):
        veth.b.nft("flush ruleset\ntable ip6 f {\n chain in {\n type filter hook input priority 0;\n"
                   f" ip6 flowlabel {label} icmpv6 type echo-request counter\n }}\n}}\n")
        proc = run()
        assert proc.returncode == 0 and counts(proc.stdout)[:2] == (3, 3), (proc.stdout, proc.stderr)
        assert _counted(veth.b, "ip6 f") == 3


def test_identifier_on_the_wire_like_iputils(veth):
    for run in (lambda: run_netlab("ping", "-e", "4242", *FAST, "10.77.0.2", ns=veth.a),
                lambda: iputils(veth.a, "-e", "4242", *FAST, "10.77.0.2")):
        veth.b.nft("flush ruleset\ntable ip e {\n chain in {\n type filter hook input priority 0;\n"
                   " icmp type echo-request icmp id 4242 counter\n }\n}\n")
        proc = run()
        assert proc.returncode == 0 and counts(proc.stdout)[:2] == (3, 3)
        assert _counted(veth.b, "ip e") == 3


# --- sending: -l preload, -A adaptive -------------------------------------------------------------

def test_preload_sends_a_burst_like_iputils(veth):
    ours, theirs = both(veth.a, "-l", "3", "-c", "3", "-i", "1", "10.77.0.2")
    assert_same(ours, theirs)
    for proc in (ours, theirs):  # three at once: no 1 s interval between them
        assert re.search(r"time (\d+)ms", proc.stdout).group(1) in ("0", "1"), proc.stdout


def test_preload_beyond_3_needs_root_message():
    from netlab.errors import UsageError
    from netlab.ping.options import PingOptions
    from netlab.core import privilege

    if privilege.can_raw():
        assert PingOptions(preload=4).validate().preload == 4
    else:
        with pytest.raises(UsageError, match="cannot set preload to value greater than 3: 4"):
            PingOptions(preload=4).validate()


def test_adaptive_interval_follows_the_rtt_like_iputils(veth):
    started = time.monotonic()
    ours, theirs = both(veth.a, "-A", "-c", "50", "10.77.0.2")
    assert time.monotonic() - started < 10  # 50 probes at the 1 s default would take 49 s each
    assert_same(ours, theirs)
    assert "ipg/ewma" in ours.stdout.splitlines()[-1]


# --- -b broadcast -----------------------------------------------------------------------------------

def test_broadcast_needs_b_and_then_answers_like_iputils(veth):
    veth.b.sysctl("net.ipv4.icmp_echo_ignore_broadcasts", 0)
    ours, theirs = both(veth.a, "-c", "2", "10.77.0.255")
    assert ours.returncode == theirs.returncode == 2
    assert theirs.stderr == "ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n"
    assert ours.stderr.startswith("netlab: error: Do you want to ping broadcast? Then -b.")
    ours, theirs = both(veth.a, "-b", *FAST, "10.77.0.255")
    assert_same(ours, theirs)
    assert theirs.stderr == "WARNING: pinging broadcast address\n"
    assert ours.stderr == "netlab: WARNING: pinging broadcast address\n"
    assert "64 bytes from 10.77.0.2: icmp_seq=1" in ours.stdout


def test_multicast_loopback_and_no_loop_like_iputils(veth):
    """224.0.0.1 on the link: both hosts answer, this one through the multicast loopback; -L stops that."""
    for space in (veth.a, veth.b):
        space.sysctl("net.ipv4.icmp_echo_ignore_broadcasts", 0)
    for flags, sources in (((), {"10.77.0.1", "10.77.0.2"}), (("-L",), {"10.77.0.2"})):
        ours, theirs = both(veth.a, *flags, "-c", "2", "-i", "0.2", "-I", "veth0", "224.0.0.1")
        assert ours.returncode == theirs.returncode == 0
        for proc in (ours, theirs):
            assert set(re.findall(r"^64 bytes from ([\d.]+): icmp_seq=1 ", proc.stdout, re.M)) == sources, proc.stdout
        assert shapes(ours.stdout)[0] == shapes(theirs.stdout)[0]  # "PING ... from 10.77.0.1 veth0: ..."
        assert " time=0.000 ms" not in ours.stdout  # the looped-back copy is timed from the send, not the driver


# --- -R record route, -T timestamps -------------------------------------------------------------------

def test_record_route_prints_like_iputils(routed):
    no_icmp_ratelimit(routed.router)
    ours, theirs = both(routed.client, "-R", *FAST, "10.77.2.1")
    assert_same(ours, theirs)
    assert ours.stdout.replace("\r", "") .count("\nRR: \t10.77.1.1\n") == 1
    assert ours.stdout.count("\t(same route)") == 2
    assert ours.stdout.splitlines()[0] == "PING 10.77.2.1 (10.77.2.1) 56(124) bytes of data."


@pytest.mark.parametrize("kind", ["tsonly", "tsandaddr"])
def test_timestamps_print_like_iputils(routed, kind):
    ours, theirs = both(routed.client, "-T", kind, *FAST, "10.77.2.1")
    assert_same(ours, theirs)
    assert "\nTS: \t" in ours.stdout


def test_timestamp_prespec_stamps_the_hosts_given(routed):
    ours, theirs = both(routed.client, "-T", "tsprespec", "10.77.1.254", *FAST, "10.77.2.1")
    assert_same(ours, theirs)
    assert "TS: \t10.77.1.254" in ours.stdout


def test_record_route_and_timestamps_exclude_each_other(veth):
    ours, theirs = both(veth.a, "-R", "-T", "tsonly", "-c", "1", "10.77.0.2")
    assert ours.returncode == theirs.returncode == 2
    assert "only one of -T or -R may be used" in ours.stderr
