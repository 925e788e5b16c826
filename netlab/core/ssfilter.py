"""ss's filter language: parse it, evaluate it on socket records, and say what the kernel can run.

    netlab conns state established '( dport = :443 or sport = :443 )'
    netlab conns dst 10.0.0.0/8 and sport gt :1024

The grammar is ss's (iproute2 misc/ssfilter.y): words are split at blanks
(a backslash escapes one), ``state NAME`` and ``exclude NAME`` lead, then

    exprlist := expr { [and|or] expr }      left to right, no precedence (as ss:
                                            'a or b and c' is '(a or b) and c');
                                            two exprs side by side mean 'and'
    expr     := ( exprlist ) | not expr | COND
    COND     := src [=] HOST | dst [=] HOST
              | sport OP PORT | dport OP PORT   OP: = == eq != ne neq >= ge geq <= le leq > gt < lt (or none)
              | dev [=|!=] NAME | autobound

with ss's spellings (&, &&, and; |, ||, or; !, not). HOST is ADDR[/PREFIX][:PORT],
[ADDR6][:PORT], *:PORT, :PORT, a host name, or inet:/inet6:/unix:PATTERN.

``parse()`` gives a Filter: the state names it selects and a tree of nodes.
``Filter.matcher()`` is a Python predicate over records (evaluated as the
kernel evaluates inet_diag bytecode: an IPv4 condition matches an IPv4 socket
or a v4-mapped IPv6 one; but a /0 prefix matches any family, as in ss's own
evaluation); netlab.core.bytecode compiles the same tree for the kernel, and
the listing applies both, as ss does. A bad expression raises UsageError: one
line, exit 2.
"""

from __future__ import annotations

# fnmatch, ipaddress and socket are imported where a filter needs them: a filter of ports and
# states is parsed (and run by the kernel) without their milliseconds of start-up.

from netlab.core.states import STATE_FILTERS
from netlab.errors import UsageError

HINT = "see netlab conns --help or ss(8): e.g. state established '( dport = :443 or sport = :443 )'"

# ---------------------------------------------------------------- the tree
# The nodes are small value classes, not dataclasses: `netlab conns` with a filter the kernel
# runs alone starts without the dataclasses module (it imports inspect, ast, dis: milliseconds).


class _Node:
    """A value: built from its fields (positional or by name, with defaults), equal by type and
    fields, hashable, immutable, shown as Name(field=value, ...)."""

    __slots__ = ()
    _defaults: dict = {}

    def __init__(self, *args, **kwargs):
        names = self.__slots__
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} fields")
        values = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in names or name in values:
                raise TypeError(f"{type(self).__name__}: bad or repeated field {name!r}")
            values[name] = value
        for name in names:
            if name not in values:
                if name not in self._defaults:
                    raise TypeError(f"{type(self).__name__} needs {name!r}")
                values[name] = self._defaults[name]
            object.__setattr__(self, name, values[name])

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other):
        return type(other) is type(self) and other._values() == self._values()

    def __hash__(self):
        return hash((type(self).__name__, self._values()))

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class HostCond(_Node):
    """src/dst (side 's'/'d'), and sport/dport '=': an address prefix and/or a port (-1: any)."""

    # networks: ip_network objects, any of which matches; () for a port alone
    # unix_pattern: unix:PATTERN (shell wildcards, as ss)
    __slots__ = ("side", "networks", "port", "unix_pattern")
    _defaults = {"networks": (), "port": -1, "unix_pattern": None}


class PortCmp(_Node):
    """sport/dport >= or <= a port (ss compiles >, < and != from these and 'not'); op "ge" or "le"."""

    __slots__ = ("side", "op", "port")


class Dev(_Node):
    __slots__ = ("ifindex",)


class AutoBound(_Node):
    """A local port the kernel chose (ss: in the ephemeral range)."""

    __slots__ = ()


class Not(_Node):
    __slots__ = ("node",)


class And(_Node):
    __slots__ = ("left", "right")


class Or(_Node):
    __slots__ = ("left", "right")


class Filter:
    """What an expression selects: states (None: not said) and a condition tree (None: all)."""

    def __init__(self, states: frozenset[str] | None = None, node: object = None,
                 families: frozenset[str] | None = None, text: str = ""):
        self.states = states
        self.node = node
        self.families = families  # inet:/inet6:/unix: prefixes restrict these (as ss)
        self.text = text

    def __repr__(self):
        return f"Filter(states={self.states!r}, node={self.node!r}, families={self.families!r}, text={self.text!r})"

    def matcher(self):
        """A predicate over records (Conn or Socket), or None when everything matches."""
        return None if self.node is None else _compile(self.node)

    def uses_unix(self) -> bool:
        return _any(self.node, lambda n: isinstance(n, HostCond) and n.unix_pattern is not None)

    def inet_only(self) -> bool:
        """Whether the tree holds conditions only inet sockets meet (then UNIX sockets are not asked for)."""
        return self.node is not None and not self.uses_unix()

    def kernel_alone(self) -> bool:
        """Whether the kernel's bytecode selects what the Python evaluation selects, with nothing left
        to Python: no UNIX pattern (no bytecode), no autobound (the kernel asks whether bind() had
        no port, Python as ss the ephemeral range), no /0 prefix (the kernel keeps its family)."""
        return self.node is not None and not _any(self.node, lambda n: (
            isinstance(n, AutoBound)
            or isinstance(n, HostCond) and (n.unix_pattern is not None
                                            or any(net.prefixlen == 0 for net in n.networks))))


def combine(nodes, how=And):
    """Nodes joined by And or Or, left to right; None for none."""
    out = None
    for node in nodes:
        if node is not None:
            out = node if out is None else how(out, node)
    return out


def _any(node, test) -> bool:
    if node is None:
        return False
    if test(node):
        return True
    if isinstance(node, Not):
        return _any(node.node, test)
    if isinstance(node, (And, Or)):
        return _any(node.left, test) or _any(node.right, test)
    return False


# ---------------------------------------------------------------- words

OPS = {"!": "not", "not": "not", "&": "and", "&&": "and", "and": "and", "|": "or", "||": "or", "or": "or",
       "(": "(", ")": ")"}
COMPARE = {">=": "ge", "ge": "ge", "geq": "ge", "<=": "le", "le": "le", "leq": "le", "!=": "ne", "ne": "ne",
           "neq": "ne", "=": "eq", "==": "eq", "eq": "eq", ">": "gt", "gt": "gt", "<": "lt", "lt": "lt"}
KEYWORDS = ("src", "dst", "sport", "dport", "dev", "fwmark", "cgroup", "autobound")

# ss's state names (scan_state) -> the display states they select
SS_STATES = dict(STATE_FILTERS)
SS_STATES.update({"unconnected": STATE_FILTERS["closed"], "syn-rcv": STATE_FILTERS["syn-recv"]})


def words(argv) -> list[str]:
    """The words of the expression, as ss splits them: at blanks; a backslash escapes the next character."""
    out = []
    for arg in argv:
        word, started, escaped = [], False, False
        for ch in arg:
            if escaped:
                word.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = started = True
            elif ch in " \t":
                if started:
                    out.append("".join(word))
                word, started = [], False
            else:
                word.append(ch)
                started = True
        if started:
            out.append("".join(word))
    return out


def states_of(name: str) -> frozenset[str]:
    key = name.lower()
    if key not in SS_STATES:
        raise UsageError(f"wrong state name {name!r}", "states: " + ", ".join(sorted(SS_STATES)))
    return SS_STATES[key]


# ---------------------------------------------------------------- the parser


class _Parser:
    def __init__(self, tokens: list[str], text: str):
        self.tokens, self.pos, self.text = tokens, 0, text
        self.families: set[str] = set()

    def fail(self, why: str, hint: str = HINT):
        raise UsageError(f"bad filter {self.text!r}: {why}", hint)

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def exprlist(self, inside: bool):
        node = self.expr()
        while True:
            tok = self.peek()
            if tok is None or (tok == ")" and inside):
                return node
            kind = OPS.get(tok)
            if kind in ("and", "or"):
                self.take()
                right = self.expr()
                node = And(node, right) if kind == "and" else Or(node, right)
            else:
                node = And(node, self.expr())  # two conditions side by side: and

    def expr(self):
        tok = self.take()
        if tok is None:
            self.fail("syntax error at the end (a condition is missing)")
        kind = OPS.get(tok)
        if kind == "(":
            node = self.exprlist(inside=True)
            if self.take() != ")":
                self.fail("syntax error: '(' without ')'")
            return node
        if kind == "not":
            return Not(self.expr())
        if kind is not None:
            self.fail(f"syntax error at {tok!r}")
        if tok == "autobound":
            return AutoBound()
        if tok in ("src", "dst"):
            op = self.compare(allowed=("eq",))
            return self.host(tok[0], self.value(tok), op)
        if tok in ("sport", "dport"):
            op = self.compare(allowed=("eq", "ne", "ge", "le", "gt", "lt"))
            port = self.port(self.value(tok), tok)
            side = tok[0]
            if op == "eq":
                return HostCond(side, port=port)
            if op == "ne":
                return Not(HostCond(side, port=port))
            if op in ("ge", "le"):
                return PortCmp(side, op, port)
            # as ss: '>' is 'not <=', '<' is 'not >='
            return Not(PortCmp(side, "le" if op == "gt" else "ge", port))
        if tok == "dev":
            op = self.compare(allowed=("eq", "ne"))
            node = Dev(self.device(self.value(tok)))
            return Not(node) if op == "ne" else node
        if tok in ("fwmark", "cgroup"):
            self.fail(f"{tok} conditions are not supported by netlab conns",
                      "filter by address, port, device or state")
        if tok.startswith("(") or tok.endswith(")"):
            self.fail(f"unknown word {tok!r}", "brackets are words of their own, as in ss: '( dport = :443 )'")
        if tok in ("state", "exclude", "excl"):
            self.fail(f"{tok!r} after a condition", "state NAME and exclude NAME come first, as in ss")
        self.fail(f"unknown word {tok!r}", "conditions: " + ", ".join(KEYWORDS))

    def compare(self, allowed) -> str:
        tok = self.peek()
        op = COMPARE.get(tok) if tok is not None else None
        if op is None:
            return "eq"  # ss: the '=' may be left out
        self.take()
        if op not in allowed:
            self.fail(f"{tok!r} cannot follow this condition")
        return op

    def value(self, keyword: str) -> str:
        tok = self.take()
        if tok is None or tok in OPS or tok in KEYWORDS:
            self.fail(f"{keyword} needs a value" + (f", not {tok!r}" if tok else ""))
        return tok

    def port(self, text: str, keyword: str) -> int:
        raw = text[1:] if text.startswith(":") else text
        if raw in ("", "*"):
            return -1
        number = _c_long(raw)
        if number is None:
            import socket

            try:
                number = socket.getservbyname(raw)
            except OSError:
                self.fail(f'"{raw}" does not look like a port', "a port is a number 0-65535 or a service name")
        if not 0 <= number <= 65535:
            self.fail(f"port {raw} is out of range", "ports are 0-65535")
        return number

    def device(self, name: str) -> int:
        import socket

        try:
            return socket.if_nametoindex(name)
        except OSError:
            number = _c_long(name)
            if number is None or not 0 < number <= 0xFFFFFFFF:
                self.fail(f"cannot parse device {name!r}", "give an interface name or index (ip link)")
            return number

    def host(self, side: str, text: str, _op: str) -> HostCond:
        family = None
        for prefix, fam in (("unix:", "unix"), ("inet:", "inet"), ("inet6:", "inet6")):
            if text.startswith(prefix):
                family, text = fam, text[len(prefix):]
        for unsupported in ("link:", "netlink:", "vsock:"):
            if text.startswith(unsupported):
                self.fail(f"{unsupported[:-1]} addresses are not supported by netlab conns")
        if family:
            self.families.add(family)
        if family == "unix":
            return HostCond(side, unix_pattern=text)
        port_text = None
        addr = text
        if text.startswith("["):
            addr, sep, rest = text[1:].partition("]")
            if not sep:
                self.fail(f"an inet prefix is expected rather than {text!r}")
            port_text = rest
        elif text.startswith("*"):
            addr, port_text = "", text[1:]
        else:
            slash = text.find("/")
            colon = text.rfind(":", slash if slash >= 0 else 0)
            if colon >= 0:
                addr, port_text = text[:colon], text[colon:]
        port = -1
        if port_text:
            if not port_text.startswith(":"):
                self.fail(f"an inet prefix is expected rather than {text!r}")
            port = self.port(port_text, "port")
        networks: tuple = ()
        if addr and addr != "*":
            networks = self.networks(addr, family)
        return HostCond(side, networks, port)

    def networks(self, addr: str, family: str | None) -> tuple:
        import ipaddress
        import socket

        try:
            net = ipaddress.ip_network(addr, strict=False)
        except ValueError:
            net = None
        if net is not None:
            if family and (net.version == 4) != (family == "inet"):
                self.fail(f"{addr!r} is not an {family} address")
            return (net,)
        if not _host_name(addr):
            self.fail(f"an inet prefix is expected rather than {addr!r}")
        try:  # a host name, as ss: every address it has (IPv4 then IPv6)
            infos = socket.getaddrinfo(addr, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            self.fail(f"an inet prefix is expected rather than {addr!r} (no such host)")
        nets = []
        for info in infos:
            net = ipaddress.ip_network(info[4][0].split("%")[0])
            if net not in nets and (family is None or (net.version == 4) == (family == "inet")):
                nets.append(net)
        nets.sort(key=lambda n: n.version)
        return tuple(nets)


def _host_name(text: str) -> bool:
    return text.isascii() and len(text) < 254 and all(c.isalnum() or c in "-._" for c in text)


def _c_long(text: str) -> int | None:
    """strtol(text, 0)'s number, as ss reads ports: 0x.. hex, 0.. octal, else decimal; None if not one."""
    if not text.isascii() or not text:
        return None
    try:
        if text[:2].lower() == "0x":
            return int(text[2:], 16)
        if len(text) > 1 and text[0] == "0":
            return int(text[1:], 8)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


def parse(argv, text: str | None = None) -> Filter:
    """The filter of these arguments (the words after the options, as ss takes them)."""
    tokens = words(argv)
    shown = text if text is not None else " ".join(argv)
    states = None
    pos = 0
    while pos < len(tokens) and tokens[pos] in ("state", "exclude", "excl"):
        if pos + 1 >= len(tokens):
            raise UsageError(f"bad filter {shown!r}: {tokens[pos]} needs a state name", HINT)
        chosen = states_of(tokens[pos + 1])
        if tokens[pos] == "state":
            states = (states or frozenset()) | chosen
        else:
            states = (STATE_FILTERS["all"] if states is None else states) - chosen
        pos += 2
    parser = _Parser(tokens[pos:], shown)
    node = parser.exprlist(inside=False) if tokens[pos:] else None
    if parser.pos < len(parser.tokens):  # a ')' too many
        parser.fail(f"syntax error at {parser.tokens[parser.pos]!r}")
    families = frozenset(parser.families) if parser.families else None
    return Filter(states, node, families, shown)


# ---------------------------------------------------------------- evaluation in Python

_ips: dict = {}


def _ip(addr: str | None):
    ip = _ips.get(addr)
    if ip is None and addr:
        import ipaddress

        ip = _ips[addr] = ipaddress.ip_address(addr.split("%")[0])
    return ip


def _in(addr: str | None, net) -> bool:
    """The kernel's hostcond: same family, or an IPv4 prefix against a v4-mapped IPv6 address."""
    ip = _ip(addr)
    if ip is None:
        return False
    if ip.version == net.version:
        return ip in net
    if ip.version == 6 and net.version == 4 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped in net
    return False


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = f.read().split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):
        return 1024, 4999  # ss's default


def _compile(node):
    """A closure per node: evaluating it costs a few calls per socket, not a walk of the tree."""
    if isinstance(node, And):
        a, b = _compile(node.left), _compile(node.right)
        return lambda c: a(c) and b(c)
    if isinstance(node, Or):
        a, b = _compile(node.left), _compile(node.right)
        return lambda c: a(c) or b(c)
    if isinstance(node, Not):
        a = _compile(node.node)
        return lambda c: not a(c)
    if isinstance(node, PortCmp):
        attr, port = ("local_port" if node.side == "s" else "remote_port"), node.port
        if node.op == "ge":
            return lambda c: c.proto != "unix" and (getattr(c, attr) or 0) >= port
        return lambda c: c.proto != "unix" and (getattr(c, attr) or 0) <= port
    if isinstance(node, Dev):
        index = node.ifindex
        return lambda c: c.interface == index
    if isinstance(node, AutoBound):
        low, high = _ephemeral_range()
        return lambda c: c.proto != "unix" and low <= (c.local_port or 0) <= high
    if isinstance(node, HostCond):
        return _host_matcher(node)
    raise TypeError(node)


def _host_matcher(node: HostCond):
    local = node.side == "s"
    if node.unix_pattern is not None:
        import fnmatch

        pattern = node.unix_pattern

        def unix(c) -> bool:
            if c.proto != "unix":
                return False
            if local:
                return fnmatch.fnmatch((c.local_addr or "").lower(), pattern.lower())
            return not pattern  # ss compares the peer's name, which the dump does not carry
        return unix
    port, networks = node.port, node.networks
    port_attr = "local_port" if local else "remote_port"
    addr_attr = "local_addr" if local else "remote_addr"
    # A /0 prefix matches every inet socket here, whatever its family: ss's own evaluation
    # (run_ssfilter) does so, while the kernel's bytecode keeps the family. ss applies both,
    # and so does netlab: 'dst 0.0.0.0/0' is IPv4 (and v4-mapped) sockets, and
    # 'not dst 0.0.0.0/0' is none at all, as in ss.
    everything = any(net.prefixlen == 0 for net in networks)

    def host(c) -> bool:
        if c.proto == "unix":
            return False
        if port != -1 and (getattr(c, port_attr) or 0) != port:
            return False
        if not networks or everything:
            return True
        addr = getattr(c, addr_attr)
        return any(_in(addr, net) for net in networks)
    return host
