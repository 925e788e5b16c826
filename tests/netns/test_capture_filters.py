"""Every filter expression of the conformance set selects exactly the packets tcpdump selects.

On every conformance pcap and on recordings made here in private namespaces
(Ethernet, and Linux cooked v1 and v2 from `-i any`, which carry the direction
that `inbound`/`outbound` test). tcpdump's selection is what it writes with
-w; netlab's is what its reader yields, and what `--count` counts. Where
tcpdump refuses an expression for a link type, netlab must refuse it with
libpcap's same message.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from netlab.capture.reader import OfflineCapture
from netlab import testing
from netlab.core import netns
from netlab.errors import UsageError
from tests.helpers.cli import run_netlab
from tests.helpers.env import CONFORMANCE, require_tool
from tests.helpers.traffic import make_traffic, record_with_tcpdump

EXPRESSIONS = [line.strip() for line in (CONFORMANCE / "filters" / "expressions.txt").read_text().splitlines()
               if line.strip()]
CONFORMANCE_PCAPS = sorted((CONFORMANCE / "tcpdump" / "pcaps").iterdir())
DIRECTIONAL = {"inbound", "outbound and tcp"}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> dict[str, Path]:
    """Ethernet, cooked v1 and cooked v2 recordings of the same kind of traffic, by tcpdump."""
    require_tool("tcpdump")
    if not netns.available():
        pytest.skip("needs root and network namespaces")
    out = tmp_path_factory.mktemp("recordings")
    files = {"eth": out / "eth.pcap", "sll": out / "sll.pcap", "sll2": out / "sll2.pcap"}
    with testing.veth_pair() as link:
        record_with_tcpdump(link.a, str(files["eth"]), "-i", "veth0", traffic=lambda: make_traffic(link))
        record_with_tcpdump(link.a, str(files["sll"]), "-i", "any", traffic=lambda: make_traffic(link))
        record_with_tcpdump(link.a, str(files["sll2"]), "-i", "any", "-y", "LINUX_SLL2", traffic=lambda: make_traffic(link))
    for path in files.values():
        assert sum(1 for _ in OfflineCapture(str(path))) >= 20, f"{path.name}: the recording is too small"
    return files


def tcpdump_selection(pcap: Path, expression: str, tmp: Path) -> list | str:
    """The packets tcpdump keeps (as netlab reads them back), or tcpdump's error message."""
    out = tmp / "tcpdump.pcap"
    proc = subprocess.run(["tcpdump", "-r", str(pcap), "-w", str(out), expression], capture_output=True, text=True,
                          timeout=30)
    if proc.returncode != 0:
        return proc.stderr.strip().splitlines()[-1].removeprefix("tcpdump: ")
    return [packet[2:] for packet in OfflineCapture(str(out))]  # caplen, len, data (tcpdump writes microseconds)


def netlab_selection(pcap: Path, expression: str, nano: bool = False) -> list | str:
    """What netlab keeps. Microsecond reads of pcap files filter inside libpcap's read loop;
    nanosecond reads run the same compiled program per packet here: both must agree."""
    try:
        with OfflineCapture(str(pcap), expression, nano=nano) as capture:
            return [packet[2:] for packet in capture]
    except UsageError as err:
        return err.message


@pytest.mark.privileged
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_expression_selects_what_tcpdump_selects(expression, recordings, tmp_path):
    pcaps = [*CONFORMANCE_PCAPS, *recordings.values()]
    compared = selected = 0
    for pcap in pcaps:
        theirs = tcpdump_selection(pcap, expression, tmp_path)
        mine = netlab_selection(pcap, expression)
        assert mine == theirs, f"{expression!r} on {pcap.name}"
        assert netlab_selection(pcap, expression, nano=True) == theirs, f"{expression!r} on {pcap.name}, --nano"
        if isinstance(theirs, list):
            compared += 1
            selected += len(theirs)
            with OfflineCapture(str(pcap), expression) as capture:
                assert capture.count() == len(theirs), f"--count of {expression!r} on {pcap.name}"
    if expression in DIRECTIONAL:
        # Only the cooked captures know the direction: there tcpdump and netlab agree, elsewhere both refuse.
        assert compared >= 2  # the two cooked recordings at least
        assert selected > 0
    else:
        assert compared >= 10  # some link types refuse some expressions (arp on raw IP): both tools alike


@pytest.mark.privileged
def test_filters_are_not_vacuous(recordings, tmp_path):
    """The recordings give the common expressions something to select, so the comparison means something."""
    for expression in ("tcp port 80", "icmp", "icmp6", "arp", "udp port 53", "tcp[tcpflags] & tcp-rst != 0",
                       "icmp6[icmp6type] == icmp6-neighborsolicit", "broadcast", "inbound"):
        pcap = recordings["sll"] if expression == "inbound" else recordings["eth"]
        theirs = tcpdump_selection(pcap, expression, tmp_path)
        assert isinstance(theirs, list) and theirs, expression
        assert netlab_selection(pcap, expression) == theirs


def test_bad_filter_gets_libpcaps_message_and_exit_2():
    require_tool("tcpdump")
    pcap = CONFORMANCE / "tcpdump" / "pcaps" / "whois.pcap"
    for expression, message in (("hosst foo", "can't parse filter expression: syntax error"),
                                ("tcp port 99999", "illegal port number 99999 > 65535")):
        theirs = subprocess.run(["tcpdump", "-r", str(pcap), expression], capture_output=True, text=True)
        assert f"tcpdump: {message}" in theirs.stderr
        proc = run_netlab("capture", "-r", str(pcap), *expression.split())
        assert proc.returncode == 2
        errors = [line for line in proc.stderr.splitlines() if line.startswith("netlab: error:")]
        assert len(errors) == 1 and message in errors[0], proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""


def test_direction_filter_on_ethernet_file_is_refused_like_tcpdump():
    pcap = CONFORMANCE / "tcpdump" / "pcaps" / "whois.pcap"
    proc = run_netlab("capture", "-r", str(pcap), "inbound")
    assert proc.returncode == 2
    assert "inbound/outbound not supported on Ethernet when reading savefiles" in proc.stderr
