"""longbench: evaluation of CLIP-style image-text models, with a focus on long text."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("longbench")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
