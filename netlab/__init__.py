"""netlab: network diagnostics and socket experiments.

The CLI lives in netlab.cli; everything under netlab.core and the engines
(netlab.ping, netlab.capture, netlab.lab) is a plain Python API for scripts.
"""

__version__ = "0.1.0"
