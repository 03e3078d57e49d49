"""The installed version of hallusim, read once for the package and for provenance records."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("hallusim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
