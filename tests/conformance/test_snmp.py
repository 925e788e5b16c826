"""SNMP (UDP 161/162) as tcpdump 4.99.3 prints it with -n (OIDs as numbers).

Messages as net-snmp's snmpget/snmpwalk/snmpset/snmpbulkget and an agent send
them: v1 and v2c GetRequest, GetNextRequest, GetResponse with every value type
(integers, strings printable and not, OIDs, IP addresses, counters, gauges,
time ticks, Counter64, exceptions), SetRequest, GetBulk, v1 Trap, v2 Trap,
Inform, Report, errors; a v3 message with USM; BER that contradicts itself
(bad lengths, wrong types, v2 PDUs in v1 messages, unknown versions); every
prefix of each (`` [|snmp]``).
"""

from __future__ import annotations

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, udp


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 128:
        return bytes([tag, n]) + value
    if n < 256:
        return bytes([tag, 0x81, n]) + value
    return bytes([tag, 0x82, n >> 8, n & 0xFF]) + value


def _int(v: int, tag=0x02) -> bytes:
    n = max(1, (v.bit_length() + 8) // 8)
    return _tlv(tag, v.to_bytes(n, "big", signed=True))


def _uns(v: int, tag: int) -> bytes:
    return _tlv(tag, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big"))


def _oid(text: str) -> bytes:
    parts = [int(x) for x in text.strip(".").split(".")]
    body = bytes([parts[0] * 40 + parts[1]])
    for n in parts[2:]:
        enc = [n & 0x7F]
        n >>= 7
        while n:
            enc.insert(0, 0x80 | (n & 0x7F))
            n >>= 7
        body += bytes(enc)
    return _tlv(0x06, body)


NULL = b"\x05\x00"


def _seq(*items: bytes, tag=0x30) -> bytes:
    return _tlv(tag, b"".join(items))


def _bind(oid: str, value: bytes = NULL) -> bytes:
    return _seq(_oid(oid), value)


def _pdu(tag: int, reqid: int, binds, status=0, index=0) -> bytes:
    return _seq(_int(reqid), _int(status), _int(index), _seq(*binds), tag=tag)


def _msg(version: int, pdu: bytes, community=b"public") -> bytes:
    return _seq(_int(version), _tlv(0x04, community), pdu)


def _frame(payload: bytes, sport=40000, dport=161) -> bytes:
    return ip4(17, udp(sport, dport, payload))


SYS = ".1.3.6.1.2.1.1"
VALUES = [_tlv(0x04, b"Linux lab 6.1.0"), _int(-5), _int(2 ** 31 - 1), _oid(".1.3.6.1.4.1.8072.3.2.10"),
          _tlv(0x40, bytes([10, 77, 0, 1])), _uns(4000000000, 0x41), _uns(7, 0x42), _uns(123456, 0x43),
          _uns(2 ** 64 - 1, 0x46), _tlv(0x04, b"\x00\x01\xff"), _tlv(0x04, b""), b"\x80\x00", b"\x81\x00", b"\x82\x00",
          _tlv(0x40, b"\x01\x02"), _tlv(0x44, b"op"), _tlv(0x01, b"\x01")]

FRAMES = [
    _frame(_msg(1, _pdu(0xA0, 1234, [_bind(SYS + ".1.0"), _bind(SYS + ".3.0")]))),               # v2c get
    _frame(_msg(0, _pdu(0xA1, 7, [_bind(SYS)]), b"private")),                                     # v1 getnext
    _frame(_msg(1, _pdu(0xA2, 1234, [_bind(SYS + ".%u.0" % i, v) for i, v in enumerate(VALUES)])), 161, 40000),
    _frame(_msg(1, _pdu(0xA2, 9, [_bind(SYS + ".9.0", NULL)], status=2, index=1)), 161, 40000),    # noSuchName@1
    _frame(_msg(1, _pdu(0xA2, 9, [], status=0, index=3)), 161, 40000),                           # index without status
    _frame(_msg(1, _pdu(0xA2, 9, [], status=5, index=0)), 161, 40000),
    _frame(_msg(1, _pdu(0xA2, 9, [], status=40, index=1)), 161, 40000),                          # unknown status
    _frame(_msg(1, _pdu(0xA3, 10, [_bind(SYS + ".5.0", _tlv(0x04, b"lab1"))]), b"secret")),      # set
    _frame(_msg(1, _pdu(0xA0, 11, [_bind(SYS + ".1.0", _int(1))], status=1, index=2))),          # errors in a get
    _frame(_msg(1, _pdu(0xA5, 12, [_bind(".1.3.6.1.2.1.2.2.1.2")], status=0, index=10))),        # getbulk
    _frame(_msg(0, _seq(_oid(".1.3.6.1.4.1.8072.4"), _tlv(0x40, bytes([10, 77, 0, 1])), _int(6), _int(3),
                        _uns(500, 0x43), _seq(_bind(".1.3.6.1.4.1.8072.2.3.2.1", _int(42))), tag=0xA4)), 40000, 162),
    _frame(_msg(0, _seq(_oid(".1.3.6.1.6.3.1.1.5"), _tlv(0x40, bytes([10, 77, 0, 1])), _int(3), _int(1),
                        _uns(500, 0x43), _seq(), tag=0xA4)), 40000, 162),                        # linkUp, specific!=0
    _frame(_msg(1, _pdu(0xA7, 13, [_bind(".1.3.6.1.2.1.1.3.0", _uns(100, 0x43)),
                                    _bind(".1.3.6.1.6.3.1.1.4.1.0", _oid(".1.3.6.1.6.3.1.1.5.3"))])), 40000, 162),
    _frame(_msg(1, _pdu(0xA6, 14, [_bind(SYS + ".3.0", _uns(1, 0x43))]))),                       # inform
    _frame(_msg(0, _pdu(0xA5, 1, []))),                                                          # v2 PDU in v1
    _frame(_msg(1, _seq(tag=0xA4))),                                                             # v1 PDU in v2
    _frame(_seq(_int(3), _seq(_int(99), _int(65507), _tlv(0x04, b"\x04"), _int(3)),
                _tlv(0x04, _seq(_tlv(0x04, bytes.fromhex("80001f8880")), _int(5), _int(100), _tlv(0x04, b"admin"),
                                _tlv(0x04, b""), _tlv(0x04, b""))),
                _seq(_tlv(0x04, bytes.fromhex("80001f8880")), _tlv(0x04, b""),
                     _pdu(0xA0, 15, [_bind(SYS + ".1.0")])))),                                   # SNMPv3, USM
    _frame(_seq(_int(3), _seq(_int(99), _int(65507), _tlv(0x04, b"\x02"), _int(3)))),            # v3 bad flags
    _frame(_seq(_int(2), b"")),                                                                  # version 2u
    _frame(_seq(_int(7), b"")),                                                                  # unknown version
    _frame(_msg(1, _pdu(0xA0, 1, [_bind(SYS + ".1.0")]))[:-3] + b"\x00"),                        # lengths lie
    _frame(_int(5)),                                                                             # not a sequence
    _frame(_msg(1, _seq(_int(1), _tlv(0x04, b"x"), tag=0xA0))),                                  # status not INT
    _frame(_msg(1, _pdu(0xA0, 1, [_seq(_int(1), NULL)]))),                                       # name not an OID
    _frame(b"\x30\x84\x00\x00\x00\x05"),                                                         # long length
    _frame(b"\x3f\x81\x01\x00"),                                                                 # extended tag
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-q", "-x"])
def test_snmp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_snmp_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
