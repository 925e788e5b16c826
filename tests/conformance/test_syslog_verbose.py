"""syslog (UDP 514) at every verbosity, as tcpdump 4.99.3 prints it.

Without -v one line (``SYSLOG auth.critical, length: 30``); -v adds the
facility and severity by name and number and the message as sent (control
bytes escaped), -vv a hex dump of the datagram. Every prefix of every
datagram too: a message cut by the snapshot ends with `` [|syslog]``.
"""

from __future__ import annotations

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, ip6, udp


def _syslog(payload: bytes, v6=False, sport=40000) -> bytes:
    if v6:
        return ip6(17, udp(sport, 514, payload, v6=True))
    return ip4(17, udp(sport, 514, payload), frag=0x4000)


PAYLOADS = [
    b"<14>Nov 21 06:00:00 host app: hello",                      # user.info
    b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed",        # auth.critical
    b"<0>kernel panic",                                          # kernel.emergency
    b"<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 - msg",   # local4.notice, RFC 5424
    b"<191>x",                                                   # local7.debug
    b"<999>facility out of the table",                           # unknown (124)
    b"<1234>four digits",                                        # invalid: at most three
    b"<13>",                                                     # no message
    b"<13>tab\there, nul\x00, high \xe9\xff, cr lf\r\n",          # bytes escaped
    b"<86>" + b"sshd[4242]: Accepted publickey for root from 10.77.0.1 port 50000 ssh2" * 3,  # long
    b"no priority",                                              # invalid
    b"<x>",                                                      # invalid
    b"<",                                                        # ends inside the priority
]

FRAMES = [_syslog(p) for p in PAYLOADS] + [_syslog(PAYLOADS[1], v6=True), _syslog(b"<30>relay", sport=514)]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv", "-q -v", "-e -v", "-x -v", "-X -vv"])
def test_syslog_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_syslog_truncated_by_snaplen(tmp_path):
    """Every prefix of every datagram: the same text, markers and dumps as tcpdump."""
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-vv"], ["-x", "-v"]))
