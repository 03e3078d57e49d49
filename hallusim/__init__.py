"""hallusim: simulate and measure why language models hallucinate.

Implements the quantities and bounds of Kalai, Nachum, Vempala & Zhang, "Why Language Models
Hallucinate" (2025); see ``shared/THEORY.md`` for the numbering used in every docstring.
"""

from importlib.metadata import PackageNotFoundError, version

from hallusim import bounds

try:
    __version__ = version("hallusim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["__version__", "bounds"]
