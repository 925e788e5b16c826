"""inet_diag bytecode from an ss filter tree (netlab.core.ssfilter), compiled as ss compiles it.

The kernel runs the bytecode on every socket of a dump and sends back only the
matches, so a filtered listing of a host with 100k sockets stays cheap. Each op
is {code u8, yes u8, no u16}: jumps in bytes from the op; running off the end
exactly accepts, a jump to end + 4 rejects. The layout (and the "no" relocation
of an 'and') is ss's ssfilter_bytecompile()/ssfilter_patch(), op for op.

``compile_filter(node)`` returns the bytes, or None where the tree holds
something the kernel cannot evaluate (a UNIX pattern): then Python evaluates it.
"""

from __future__ import annotations

import struct

from netlab.core.ssfilter import And, AutoBound, Dev, HostCond, Not, Or, PortCmp

BC_JMP = 1
BC_S_GE, BC_S_LE, BC_D_GE, BC_D_LE = 2, 3, 4, 5
BC_AUTO = 6
BC_S_COND, BC_D_COND = 7, 8
BC_DEV_COND = 9

_AF_UNSPEC, _AF_INET, _AF_INET6 = 0, 2, 10  # socket's: that module is milliseconds of start-up
_OP = struct.Struct("=BBH")
_HOSTCOND = struct.Struct("=BBxxi")  # family, prefix_len, (pad), port


class NotCompilable(Exception):
    pass


def compile_filter(node) -> bytes | None:
    """The bytecode for this tree, or None where the kernel cannot run it."""
    if node is None:
        return None
    try:
        code = bytearray(_compile(node))
    except NotCompilable:
        return None
    return bytes(code)


def _op(code: int, yes: int, no: int) -> bytes:
    return _OP.pack(code, yes, no)


def _hostcond(node: HostCond) -> bytes:
    code = BC_S_COND if node.side == "s" else BC_D_COND
    conds = []
    for net in node.networks or (None,):
        if net is None:
            family, prefix, addr = _AF_UNSPEC, 0, b"\0" * 4
        else:
            family = _AF_INET if net.version == 4 else _AF_INET6
            prefix, addr = net.prefixlen, net.network_address.packed
        conds.append(_HOSTCOND.pack(family, prefix, node.port) + addr)
    # ss: the addresses of one condition are alternatives joined by JMPs to the end
    total = sum(4 + len(c) for c in conds) + 4 * (len(conds) - 1)
    out = bytearray()
    for i, cond in enumerate(conds):
        oplen = 4 + len(cond)
        out += _op(code, oplen, oplen + 4) + cond
        if i < len(conds) - 1:
            out += _op(BC_JMP, 4, total - len(out))
    return bytes(out)


def _patch(code: bytearray, length: int, reloc: int) -> None:
    """ss's ssfilter_patch: the rejecting "no" jumps of the first ``length`` bytes move past ``reloc`` more."""
    pos = 0
    while length > 0:
        op_code, yes, no = _OP.unpack_from(code, pos)
        if no == length + 4:
            _OP.pack_into(code, pos, op_code, yes, no + reloc)
        length -= yes
        pos += yes
        if yes == 0:
            raise NotCompilable("a zero jump")
    if length < 0:
        raise NotCompilable("a jump past the end")


def _compile(node) -> bytes:
    if isinstance(node, HostCond):
        if node.unix_pattern is not None:
            raise NotCompilable("unix")
        return _hostcond(node)
    if isinstance(node, PortCmp):
        code = {("s", "ge"): BC_S_GE, ("s", "le"): BC_S_LE, ("d", "ge"): BC_D_GE, ("d", "le"): BC_D_LE}
        return _op(code[node.side, node.op], 8, 12) + _op(0, 0, node.port)
    if isinstance(node, AutoBound):
        return _op(BC_AUTO, 4, 8)
    if isinstance(node, Dev):
        return _op(BC_DEV_COND, 8, 12) + struct.pack("=I", node.ifindex)
    if isinstance(node, And):
        a1, a2 = bytearray(_compile(node.left)), _compile(node.right)
        _patch(a1, len(a1), len(a2))
        return bytes(a1) + a2
    if isinstance(node, Or):
        a1, a2 = _compile(node.left), _compile(node.right)
        return a1 + _op(BC_JMP, 4, len(a2) + 4) + a2
    if isinstance(node, Not):
        a1 = _compile(node.node)
        return a1 + _op(BC_JMP, 4, 8)
    raise NotCompilable(type(node).__name__)
