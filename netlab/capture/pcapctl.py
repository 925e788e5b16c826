"""The libpcap calls pcapy does not wrap: link types (-y, -L), time stamp types (-j, -J),
time stamp precision (--time-stamp-precision) and immediate mode (--immediate-mode).

They are called through ctypes in the very libpcap copy pcapy loaded (its wheel
bundles one; a pcap_t only means something to the library that made it), found in
this process's own memory map. A pcapy handle keeps its ``pcap_t *`` right after
the Python object header (pcapobj.cc: ``PyObject_HEAD; pcap_t *pcap;``), in pcapy
and pcapy-ng alike; ``pcap_pointer`` reads it from there, and refuses a handle whose
type is too small to hold it.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Callable

from netlab.errors import EnvironmentProblem

# pcap.h
TSTAMP_PRECISION_MICRO = 0
TSTAMP_PRECISION_NANO = 1
ERROR_ACTIVATED = -4

_HEADER_BYTES = object.__basicsize__  # PyObject_HEAD: the reference count and the type


@functools.lru_cache(maxsize=None)
def library() -> ctypes.CDLL:
    """The libpcap pcapy uses, with the prototypes this module calls."""
    import pcapy  # noqa: F401  (loads its libpcap: then it is in the map below)

    path = _loaded_libpcap()
    if path is None:
        raise EnvironmentProblem("cannot find the libpcap pcapy loaded", "reinstall netlab (pip install pcapy-ng)")
    lib = ctypes.CDLL(path)
    p, i, s, ip = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.POINTER(ctypes.c_int))
    for name, args, result in (
            ("pcap_set_tstamp_precision", [p, i], i), ("pcap_set_immediate_mode", [p, i], i),
            ("pcap_set_tstamp_type", [p, i], i), ("pcap_list_tstamp_types", [p, ip], i),
            ("pcap_free_tstamp_types", [ctypes.POINTER(ctypes.c_int)], None),
            ("pcap_tstamp_type_name_to_val", [s], i), ("pcap_tstamp_type_val_to_name", [i], s),
            ("pcap_tstamp_type_val_to_description", [i], s),
            ("pcap_list_datalinks", [p, ip], i), ("pcap_free_datalinks", [ctypes.POINTER(ctypes.c_int)], None),
            ("pcap_set_datalink", [p, i], i), ("pcap_datalink", [p], i),
            ("pcap_datalink_name_to_val", [s], i), ("pcap_datalink_val_to_name", [i], s),
            ("pcap_datalink_val_to_description", [i], s), ("pcap_geterr", [p], s), ("pcap_statustostr", [i], s)):
        func = getattr(lib, name)
        func.argtypes, func.restype = args, result
    return lib


def _loaded_libpcap() -> str | None:
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip()
                if "/libpcap" in path and ".so" in path:
                    return path
    except OSError:
        pass
    return None


def pcap_pointer(handle) -> int:
    """The ``pcap_t *`` of a pcapy handle (created or activated, not closed)."""
    if type(handle).__basicsize__ < _HEADER_BYTES + ctypes.sizeof(ctypes.c_void_p):
        raise EnvironmentProblem("this pcapy keeps its handle differently", "reinstall netlab (pip install pcapy-ng)")
    pointer = ctypes.c_void_p.from_address(id(handle) + _HEADER_BYTES).value
    if not pointer:
        raise ValueError("the capture handle is closed")
    return pointer


def _text(raw: bytes | None) -> str | None:
    return raw.decode("utf-8", "replace") if raw is not None else None


# -- names (no handle needed) ------------------------------------------------------
def datalink_value(name: str) -> int:
    """pcap_datalink_name_to_val (case-insensitive): -1 for a name libpcap does not know."""
    return library().pcap_datalink_name_to_val(name.encode("utf-8"))


def datalink_name(dlt: int) -> str | None:
    return _text(library().pcap_datalink_val_to_name(dlt))


def datalink_description(dlt: int) -> str | None:
    return _text(library().pcap_datalink_val_to_description(dlt))


def tstamp_type_value(name: str) -> int:
    """pcap_tstamp_type_name_to_val (case-insensitive): negative for a name libpcap does not know."""
    return library().pcap_tstamp_type_name_to_val(name.encode("utf-8"))


def tstamp_type_name(value: int) -> str | None:
    return _text(library().pcap_tstamp_type_val_to_name(value))


def tstamp_type_description(value: int) -> str | None:
    return _text(library().pcap_tstamp_type_val_to_description(value))


def status_text(status: int) -> str:
    return _text(library().pcap_statustostr(status)) or f"libpcap status {status}"


def error_text(handle) -> str:
    return _text(library().pcap_geterr(pcap_pointer(handle))) or ""


def knows_datalink(name: str) -> bool:
    return not _undecodable(name) and datalink_value(name) >= 0


def knows_tstamp_type(name: str) -> bool:
    return not _undecodable(name) and tstamp_type_value(name) >= 0


def _undecodable(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text) or "\0" in text


# -- on a handle -------------------------------------------------------------------
def _list(handle, lister: str, free: str) -> list[int]:
    lib = library()
    array = ctypes.POINTER(ctypes.c_int)()
    count = getattr(lib, lister)(pcap_pointer(handle), ctypes.byref(array))
    if count < 0:
        raise EnvironmentProblem(error_text(handle) or status_text(count), "see 'netlab capture -D'")
    try:
        return [array[i] for i in range(count)]
    finally:
        if count:
            getattr(lib, free)(array)


def datalinks(handle) -> list[int]:
    """The link types the (activated) device offers: pcap_list_datalinks."""
    return _list(handle, "pcap_list_datalinks", "pcap_free_datalinks")


def tstamp_types(handle) -> list[int]:
    """The time stamp types the (created, not activated) device offers: pcap_list_tstamp_types."""
    return _list(handle, "pcap_list_tstamp_types", "pcap_free_tstamp_types")


def set_datalink(handle, dlt: int) -> str | None:
    """pcap_set_datalink on an activated handle: None, or libpcap's reason for refusing."""
    if library().pcap_set_datalink(pcap_pointer(handle), dlt) < 0:
        return error_text(handle)
    return None


def _setter(name: str) -> Callable[[object, int], int]:
    def call(handle, value: int) -> int:
        return getattr(library(), name)(pcap_pointer(handle), value)
    call.__name__ = name
    return call


# Before activation; each returns libpcap's status (0 done, > 0 a warning, < 0 refused).
set_tstamp_precision = _setter("pcap_set_tstamp_precision")
set_immediate_mode = _setter("pcap_set_immediate_mode")
set_tstamp_type = _setter("pcap_set_tstamp_type")
