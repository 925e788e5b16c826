#!/bin/sh
# netlab's launcher: scripts/install.sh writes it as .venv/bin/netlab (in place of pip's
# script), @PYTHON@ replaced by the virtualenv's python.
#
# Python starts with SIGINT and SIGTERM blocked. A Ctrl-C during the interpreter's own
# start-up (its site import, before any line of netlab runs) would otherwise end in a
# "Fatal Python error" and a KeyboardInterrupt traceback; blocked, it stays pending, and
# netlab.cli.launch unblocks both once its handlers are in place: the run ends with 130.
exec env --block-signal=INT --block-signal=TERM "@PYTHON@" -m netlab "$@"
