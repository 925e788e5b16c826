"""-f's C loop (netlab._speedups.flood_burst) against iputils ping -f on the same links.

The loop must count what iputils counts when packets are lost (nftables drops
a fifth of the requests), when every probe draws an ICMP error (TTL exceeded at
a router: those packets go back to the Python path), and with -l (preload).
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.cli import run_netlab
from tests.netns.test_ping_netns import assert_same, both, counts, iputils, no_icmp_ratelimit, shapes

pytestmark = pytest.mark.privileged


def test_the_c_loop_is_built():
    from netlab.ping import flood

    assert flood.flood_burst is not None, "netlab._speedups was built without flood_burst"


def test_flood_under_loss_counts_what_nftables_dropped(veth):
    ruleset = ("flush ruleset\ntable inet loss {\n chain in {\n type filter hook input priority 0;\n"
               " icmp type echo-request numgen random mod 100 < 20 counter drop\n }\n}\n")
    for run in (lambda: run_netlab("ping", "-f", "-q", "-c", "300", "10.77.0.2", ns=veth.a),
                lambda: iputils(veth.a, "-f", "-q", "-c", "300", "10.77.0.2")):
        veth.b.nft(ruleset)
        proc = run()
        dropped = int(re.search(r"counter packets (\d+)", veth.b.exec(["nft", "list", "ruleset"]).stdout).group(1))
        assert counts(proc.stdout) == (300, 300 - dropped, 0, 0), proc.stdout
        assert 0 < dropped < 150


def test_flood_errors_like_iputils(routed):
    no_icmp_ratelimit(routed.router)
    # ...and the router's global ICMP budget (1000/s, bursts of 50) out of the way too
    routed.router.sysctl("net.ipv4.icmp_msgs_per_sec", 1000000)
    routed.router.sysctl("net.ipv4.icmp_msgs_burst", 100000)
    ours, theirs = both(routed.client, "-f", "-q", "-c", "50", "-t", "1", "10.77.2.1")
    assert ours.returncode == theirs.returncode == 1
    # iputils itself ends a run as "+50 errors" or, now and then, "+49 errors, pipe 49"
    # (its exit races the last error): netlab must count every error.
    assert counts(ours.stdout) == (50, 0, 0, 50)
    assert counts(theirs.stdout)[:3] == (50, 0, 0) and counts(theirs.stdout)[3] >= 49
    assert shapes(ours.stdout)[:4] == shapes(theirs.stdout)[:4]


@pytest.mark.parametrize("target", ["10.77.0.2", "fd77::2"])
def test_flood_with_preload_like_iputils(veth, target):
    ours, theirs = both(veth.a, "-f", "-q", "-l", "4", "-c", "2000", target)
    assert_same(ours, theirs)
    assert counts(ours.stdout) == (2000, 2000, 0, 0)
