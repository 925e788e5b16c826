"""The C part of netlab: everything else is in pyproject.toml.

netlab.core._sockscan speeds up `netlab conns` (the /proc walk and the
sock_diag dump). It is optional: without a C compiler the install goes on and
netlab uses the pure-Python code that does the same, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("netlab.core._sockscan", ["netlab/core/_sockscan.c"], optional=True,
                  extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-unused-parameter"]),
    ],
)
