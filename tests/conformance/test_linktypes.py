"""The other link types tcpdump reads: BSD loopback (NULL, LOOP) and raw IP (RAW, IPV4, IPV6).

Linux captures none of them live, so the Ethernet recording is re-framed: the
IP packets of real traffic, each behind a NULL/LOOP address family word or
nothing at all, written with that link type. tcpdump and netlab print the
result with every output option.
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers import pcapfile
from tests.helpers.tcpdump import write_pcap
from tests.helpers.tcpdump import compare, OPTION_SETS

AF_INET, AF_INET6_LINUX_BSD = 2, 24


def reframe(src: str, linktype: int, dst) -> int:
    """Write the IPv4/IPv6 packets of an Ethernet pcap under another link type; how many."""
    _lt, packets = pcapfile.read(src)
    out = []
    for sec, frac, _caplen, length, data in packets:
        etype = struct.unpack_from("!H", data, 12)[0]
        if etype not in (0x0800, 0x86DD):
            continue
        ip = data[14:]
        if linktype in (101, 228, 229):
            if (linktype == 228 and etype != 0x0800) or (linktype == 229 and etype != 0x86DD):
                continue
            head = b""
        else:
            family = AF_INET if etype == 0x0800 else (AF_INET6_LINUX_BSD if len(out) % 2 else 30)
            head = struct.pack("<I" if linktype == 0 else "!I", family)
        frame = head + ip
        out.append((sec, frac, len(frame), length - 14 + len(head), frame))
    write_pcap(dst, linktype, out)
    return len(out)


@pytest.mark.privileged
@pytest.mark.parametrize("linktype", [0, 108, 101, 228, 229], ids=["NULL", "LOOP", "RAW", "IPV4", "IPV6"])
def test_other_link_types(recorded, tmp_path, linktype):
    path = tmp_path / ("lt%u.pcap" % linktype)
    assert reframe(recorded["veth-ether"], linktype, path) >= 20
    report = []
    for opts in OPTION_SETS:
        same, total, diffs = compare(path, opts.split())
        if diffs:
            report.append(f"{opts or 'default'}: {same}/{total}\n" + "\n".join(diffs))
    assert not report, "\n".join(report)
