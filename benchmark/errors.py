"""User-facing errors: each carries one line that names the file or value and what was expected.

The CLI prints `str(error)` and exits non-zero; nothing else in the package prints errors.
"""


class LongbenchError(Exception):
    """Base class for errors a user can fix. Exit code 2 at the CLI."""

    exit_code = 2


class UnknownNameError(LongbenchError):
    """A model, task, group or prompt-set name that is not registered."""


class CheckpointError(LongbenchError):
    """A checkpoint file that is missing, corrupt, unsafe or of an unknown layout."""


class WeightsNotFoundError(LongbenchError):
    """A registry model whose weights are neither local nor downloadable."""


class DataError(LongbenchError):
    """A data root, dataset file or image that does not match the expected layout."""


class SchemaError(LongbenchError):
    """A result file that does not match the result schema (or has an unknown version)."""


class NonFiniteError(LongbenchError):
    """The model produced NaN or Inf (embeddings, logits, classifier weights or metrics). Exit code 3.

    A broken model must never obtain a number: every similarity is NaN, so no candidate would rank above the target
    and recall would read 100 %.
    """

    exit_code = 3


class MissingDependencyError(LongbenchError):
    """An optional package a feature needs is not installed; the message says how to install it."""


class RemoteCodeError(LongbenchError):
    """A checkpoint that would run code from its repository, without --trust-remote-code and a pinned revision."""


class OutputError(LongbenchError):
    """An output file or folder that cannot be written, would leave its folder, or would replace a kept result."""
