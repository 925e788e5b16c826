"""The kernel's TCP state numbers and ss's names for them, without the socket record.

netlab.core.sockets re-exports them beside the record; they live here so that
the plain listing (netlab.conns.plain), the packed dump (netlab.core.packed) and the
filter language (netlab.core.ssfilter) need not import the record's dataclass machinery.
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

STATE_NUMBERS: dict[str, list[int]] = {}
for _num, _name in TCP_STATES.items():
    STATE_NUMBERS.setdefault(_name, []).append(_num)
STATE_NUMBERS["UNCONN"] = [7]
# TCP_BOUND_INACTIVE (13): bound but neither listening nor connected. Dumped only when asked
# for by name; the kernel reports such sockets with state CLOSE.
STATE_NUMBERS["BOUND-INACTIVE"] = [13]

# ss's state filter names (and our display names) -> display state names.
DISPLAY_STATES = frozenset(
    {"ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE", "UNCONN",
     "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"}
)
STATE_FILTERS: dict[str, frozenset[str]] = {
    "established": frozenset({"ESTAB"}),
    "estab": frozenset({"ESTAB"}),
    "syn-sent": frozenset({"SYN-SENT"}),
    "syn-recv": frozenset({"SYN-RECV"}),
    "fin-wait-1": frozenset({"FIN-WAIT-1"}),
    "fin-wait-2": frozenset({"FIN-WAIT-2"}),
    "time-wait": frozenset({"TIME-WAIT"}),
    "closed": frozenset({"CLOSE", "UNCONN"}),
    "close": frozenset({"CLOSE", "UNCONN"}),
    "unconn": frozenset({"UNCONN"}),
    "close-wait": frozenset({"CLOSE-WAIT"}),
    "last-ack": frozenset({"LAST-ACK"}),
    "listening": frozenset({"LISTEN"}),
    "listen": frozenset({"LISTEN"}),
    "closing": frozenset({"CLOSING"}),
    # ss's groups
    "all": DISPLAY_STATES,
    "connected": DISPLAY_STATES - {"LISTEN", "CLOSE", "UNCONN"},
    "synchronized": DISPLAY_STATES - {"LISTEN", "CLOSE", "UNCONN", "SYN-SENT"},
    "bucket": frozenset({"SYN-RECV", "TIME-WAIT"}),
    "big": DISPLAY_STATES - {"SYN-RECV", "TIME-WAIT"},
}
# What ss -l selects: listening TCP/UNIX sockets and unconnected UDP/RAW ones.
LISTENING = frozenset({"LISTEN", "UNCONN"})


def states_mask(names) -> int:
    """A bitmask of kernel states for display state names (None: all states)."""
    if names is None:
        return ALL_STATES
    mask = 0
    for name in names:
        for num in STATE_NUMBERS[name]:
            mask |= 1 << num
    return mask
