"""flowterm: options flow, dark pool, zones, dealer gamma and regime analysis in a terminal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flowterm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
