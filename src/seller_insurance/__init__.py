"""seller-insurance-impact: Amazon's 2021 insurance-rule change and $1,000 claims cap, measured.

Public helpers live in small modules (``rules``, ``claims``, ``generate``, ``loading`` ...); notebooks import them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seller-insurance-impact")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
