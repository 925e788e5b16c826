"""The kernel's TCP state numbers and ss's names for them, without the socket record.

netlab.core.sockets re-exports them beside the record; they live here so that
the plain listing (netlab.conns.plain) and the packed dump (netlab.core.packed)
need not import the record's dataclass machinery.
"""

# Kernel TCP state numbers (include/net/tcp_states.h) -> ss's names.
TCP_STATES = {
    1: "ESTAB",
    2: "SYN-SENT",
    3: "SYN-RECV",
    4: "FIN-WAIT-1",
    5: "FIN-WAIT-2",
    6: "TIME-WAIT",
    7: "CLOSE",
    8: "CLOSE-WAIT",
    9: "LAST-ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "SYN-RECV",  # TCP_NEW_SYN_RECV: a request socket in the SYN queue
}
# The same by number, for the C readers (which give state 7 its CLOSE/UNCONN name themselves).
STATE_NAMES = tuple(TCP_STATES.get(n, str(n)) for n in range(16))
# Every state ss lists: bits 0..12, TCP_NEW_SYN_RECV (12) included, TCP_BOUND_INACTIVE (13) not.
ALL_STATES = 0x1FFF
