#!/usr/bin/env -S --block-signal=INT --block-signal=TERM @PYTHON@
# netlab's launcher: scripts/install.sh writes it as .venv/bin/netlab in place of pip's
# script (the same two lines), @PYTHON@ replaced by the virtualenv's python.
#
# env starts Python with SIGINT and SIGTERM blocked. A Ctrl-C during the interpreter's
# own start-up (its site import, before any line of netlab runs) would otherwise end in
# a "Fatal Python error" and a KeyboardInterrupt traceback; blocked, it stays pending,
# and netlab.cli.launch unblocks both once its handlers are in place: exit 130.
from netlab.cli.launch import main

main()
