"""The C part of netlab: everything else is in pyproject.toml.

netlab._speedups holds the loops that are too slow in Python: the walk of
/proc/*/fd and the sock_diag reader of `netlab conns`, the table aligner, and the
ping-pong of `netlab ping -f`.
netlab.capture._cprint prints the commonest packets as tcpdump does: a twin
of the Python printers, which print everything it hands back (see _cprint.h);
it also walks pcap records for the reader, counting and filtering them.
Both are optional: without a C compiler the install goes on and netlab runs
the pure-Python code that does the same, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # One module from one file per domain; _speedups.h declares what they share.
        Extension("netlab._speedups",
                  ["netlab/_speedups.c", "netlab/_speedups_procwalk.c", "netlab/_speedups_diag.c",
                   "netlab/_speedups_align.c", "netlab/_speedups_flood.c", "netlab/_speedups_table.c"],
                  depends=["netlab/_speedups.h"], optional=True,
                  extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers",
                                      "-Wno-unused-parameter", "-pthread"],
                  extra_link_args=["-pthread"]),
        Extension("netlab.capture._cprint",
                  ["netlab/capture/_cprint.c", "netlab/capture/_cprint_dns.c", "netlab/capture/_cprint_icmp.c",
                   "netlab/capture/_cprint_app.c", "netlab/capture/_cprint_tcpapp.c",
                   "netlab/capture/_cprint_walk.c"],
                  depends=["netlab/capture/_cprint.h"], optional=True,
                  # -pthread: --count walks a big file in two threads; -ldl: libpcap's bpf_filter is
                  # found at run time (the copy pcapy loaded), so no libpcap headers are needed here
                  extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers",
                                      "-Wno-unused-parameter", "-pthread"],
                  extra_link_args=["-pthread", "-ldl"]),
    ],
)
