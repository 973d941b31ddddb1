"""The exception types every embrace module raises.

Each one subclasses the built-in type a user of the reference libraries would catch, so
``except OSError`` / ``except ValueError`` / ``except FileNotFoundError`` blocks written
against the reference keep working. Messages say what was wrong and how to fix it.

Example:
    >>> from embrace.errors import EntryNotFoundError
    >>> issubclass(EntryNotFoundError, FileNotFoundError)
    True
"""

from __future__ import annotations


class EmbraceError(Exception):
    """Base class of every error raised on purpose by embrace."""


# --- files and formats -------------------------------------------------------------


class SafetensorsError(EmbraceError, ValueError):
    """A safetensors file or buffer is malformed, hostile, or used the wrong way."""


class UnsafeCheckpointError(EmbraceError, ValueError):
    """A pickle checkpoint needs more than plain tensors to load (it would run code)."""


class GGUFError(EmbraceError, ValueError):
    """A GGUF file is malformed or uses a feature embrace does not read."""


class ConfigError(EmbraceError, ValueError):
    """A configuration is invalid: a wrong value, a contradiction, or an unknown model type."""


class CheckpointError(EmbraceError, OSError):
    """Model weights could not be found or read from a checkpoint folder or file."""


class RemoteCodeError(EmbraceError, ValueError):
    """``trust_remote_code=True`` was asked for; embrace never executes code from a repo."""


# --- hub and cache -----------------------------------------------------------------


class HfHubHTTPError(EmbraceError, OSError):
    """An HTTP request to a hub failed; the message carries the status and the server's reason."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RepositoryNotFoundError(HfHubHTTPError):
    """The repository does not exist, or the token cannot see it."""


class GatedRepoError(RepositoryNotFoundError):
    """The repository exists but is gated: accept its terms and pass a token."""


class RevisionNotFoundError(HfHubHTTPError):
    """The repository exists but the branch, tag or commit does not."""


class EntryNotFoundError(EmbraceError, FileNotFoundError):
    """The repository and revision exist but the requested file does not."""


class LocalEntryNotFoundError(EntryNotFoundError):
    """Offline (or ``local_files_only=True``) and the file is not in the local cache."""


class OfflineModeIsEnabled(EmbraceError, ConnectionError):
    """A network call was attempted while ``HF_HUB_OFFLINE=1``."""


class CacheNotFound(EmbraceError, FileNotFoundError):
    """The cache directory to scan does not exist."""

    def __init__(self, message: str, *, cache_dir: str | None = None) -> None:
        super().__init__(message)
        self.cache_dir = cache_dir


# --- registries --------------------------------------------------------------------


class UnknownKeyError(EmbraceError, KeyError):
    """A registry lookup missed; the message lists the valid keys."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


def unknown_key(kind: str, key: object, known: "list[str] | tuple[str, ...] | set[str]") -> UnknownKeyError:
    """Build the error for a registry miss, listing every valid key (sorted)."""
    listing = ", ".join(sorted(str(k) for k in known))
    return UnknownKeyError(f"Unknown {kind} {key!r}. Valid values are: {listing}.")


# --- paths -------------------------------------------------------------------------


class DirectoryExpectedError(EmbraceError, NotADirectoryError):
    """A folder was expected (to save into or load from) but the path names a file."""


class HFValidationError(EmbraceError, ValueError):
    """An argument such as a repo id, repo type or repo filename is malformed."""


# --- state dicts -------------------------------------------------------------------


class StateDictError(SafetensorsError, RuntimeError):
    """A state dict cannot be saved or loaded as asked: tensors share memory, or keys are
    missing/unexpected under strict loading (a RuntimeError, like torch's own check)."""


# --- tokenizers --------------------------------------------------------------------


class TokenizerError(EmbraceError, ValueError):
    """A tokenizer file, component or call is invalid (names the field/path and the fix)."""


# --- hub client --------------------------------------------------------------------


class ChecksumError(EmbraceError, OSError):
    """A downloaded file does not match the hash the hub announced for it (corrupt or
    tampered transfer). An OSError, like the reference's failed-consistency-check error;
    nothing was placed in the cache, so retrying the download starts clean."""


class CorruptedCacheException(EmbraceError, OSError):
    """The hub cache has an entry that does not follow the cache layout (reported by
    ``scan_cache_dir`` as a warning; the scan skips that repo and goes on)."""


class LocalTokenNotFoundError(EmbraceError, OSError):
    """``token=True`` was passed but no token is set (``HF_TOKEN`` or the token file)."""


class TokenizerInputError(EmbraceError, TypeError, ValueError):
    """A tokenizer was called with input of the wrong type or shape. A TypeError (the kind of
    mistake it is) and a ValueError (what the reference raises), so either ``except`` works."""


# --- datasets loading --------------------------------------------------------------


class DataFilesNotFoundError(EmbraceError, FileNotFoundError):
    """No data file matches the given path or pattern (the message names the pattern and base folder)."""


class EmptyDatasetError(EmbraceError, FileNotFoundError):
    """A folder or repository holds no data file that a packaged loader can read."""


class DatasetNotFoundError(EmbraceError, FileNotFoundError):
    """``load_dataset`` got a path that is neither a local file/folder, a packaged format nor a hub repo."""


class DatasetGenerationError(EmbraceError, ValueError):
    """A data file could not be turned into Arrow (unreadable file, bad row); names the file and cause."""


class DatasetGenerationCastError(DatasetGenerationError):
    """Data files of one split disagree on columns or types; names the file, the column and both types."""


# --- datasets ----------------------------------------------------------------------


class ColumnNotFoundError(EmbraceError, ValueError, KeyError):
    """A dataset column was named that does not exist (a ValueError like the reference's,
    and a KeyError for code that treats a dataset like a mapping)."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class DatasetTransformError(EmbraceError, ValueError):
    """A function given to ``map``/``filter`` returned something that cannot become rows
    (not a dict, columns of the wrong length, values of mixed types)."""


# --- training ----------------------------------------------------------------------


class DataCollatorError(EmbraceError, ValueError, KeyError):
    """A data collator got features it cannot batch (mixed keys, ragged rows with nothing to
    pad them, a tokenizer without the token a collator needs). A ValueError; also a KeyError
    because the reference raises one for a feature missing a key."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


# --- pipelines ---------------------------------------------------------------------


class PipelineException(EmbraceError, ValueError):
    """A pipeline got input it cannot handle (a fill-mask text without a mask token, a
    zero-shot call without labels, a question without a context). A ValueError, like the
    reference's checks on pipeline input."""


class TrainingError(EmbraceError, ValueError):
    """Contradictory or invalid training settings (TrainingArguments, Trainer, optimizers,
    schedules). A ValueError, like the reference's checks on training arguments."""


# --- evaluate ----------------------------------------------------------------------


class EvaluationModuleNotFoundError(EmbraceError, FileNotFoundError):
    """``evaluate.load`` got a name that no built-in metric answers to (embrace is
    offline-first and never downloads metric scripts); the message lists the known names."""


class MetricInputError(EmbraceError, ValueError):
    """Predictions/references given to a metric are missing, of unequal length or of the
    wrong kind; the message names the metric and the inputs it expects."""


class ArgumentsFileError(EmbraceError, ValueError):
    """A JSON/YAML file of arguments could not be read into dataclasses (bad syntax, or not a
    mapping of field names to values); the message names the file."""
