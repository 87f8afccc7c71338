"""Build hook for the one native module, ``hashdb._hamming`` (everything else is in pyproject.toml).

The module is optional: without a C compiler the install still succeeds and ``hashdb.index``
falls back to its numpy path, which gives the same answers more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "hashdb._hamming",
            sources=["hashdb/_hamming.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
