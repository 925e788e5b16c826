"""The socket-inspection core every command shares (a Python API for scripts)."""
