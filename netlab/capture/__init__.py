"""netlab capture: libpcap capture, a fast struct-based decoder and tcpdump-identical lines.

For scripts: ``netlab.capture.read(path, filter=None)`` yields the packets of a
capture file with the fields `--format jsonl` prints, ``netlab.capture.listen(
interface, filter, count=, seconds=)`` those of an interface (api.py).
"""

# Looked up on first use (PEP 562): the CLI imports netlab.capture.options at start-up
# and must not pay for the reader here.
_EXPORTS = {"read": "api", "listen": "api", "CapturedPacket": "api"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
