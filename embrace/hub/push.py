"""``push_to_hub`` for anything with ``save_pretrained`` (configs, models, tokenizers).

The object is saved into a temporary folder with its own ``save_pretrained`` and that folder
is uploaded in one commit (``upload_folder``), after creating the repo if needed.

Example:
    >>> class Thing(PushToHubMixin):
    ...     def save_pretrained(self, folder):
    ...         open(f"{folder}/thing.json", "w").write("{}")
    >>> Thing().push_to_hub("a/b/c")
    Traceback (most recent call last):
    ...
    embrace.errors.HFValidationError: Repo id must be 'name' or 'org/name', got 'a/b/c'.
"""

from __future__ import annotations

import inspect
import tempfile
from typing import Any

from embrace.hub.cache import validate_repo_id


class PushToHubMixin:
    """Adds :meth:`push_to_hub` to a class that has ``save_pretrained(folder, ...)``."""

    def _push_commit_message(self) -> str:
        name = type(self).__name__
        for marker, message in (("Processor", "Upload processor"), ("Tokenizer", "Upload tokenizer"),
                                ("FeatureExtractor", "Upload feature extractor"),
                                ("GenerationConfig", "Upload generation config"), ("Config", "Upload config")):
            if marker in name:
                return message
        return "Upload model"

    def push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        private: bool | None = None,
        token: bool | str | None = None,
        revision: str | None = None,
        create_pr: bool = False,
        safe_serialization: bool = True,
        commit_description: str | None = None,
        repo_type: str | None = None,
    ) -> Any:
        """Save with ``save_pretrained`` into a temporary folder and upload it to ``repo_id`` in one commit.

        The repo is created when missing (``private`` applies then). ``safe_serialization`` is
        passed to ``save_pretrained`` when it accepts it. Returns the ``CommitInfo``.
        """
        from embrace.hub.api import HfApi

        validate_repo_id(repo_id)
        api = HfApi(token=token)
        api.create_repo(repo_id, private=private, repo_type=repo_type, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="embrace-push-") as folder:
            save = self.save_pretrained  # type: ignore[attr-defined]
            parameters = inspect.signature(save).parameters
            if "safe_serialization" in parameters:
                save(folder, safe_serialization=safe_serialization)
            else:
                save(folder)
            return api.upload_folder(
                repo_id=repo_id,
                folder_path=folder,
                commit_message=commit_message or self._push_commit_message(),
                commit_description=commit_description,
                repo_type=repo_type,
                revision=revision,
                create_pr=create_pr,
            )


# The keyword arguments `save_pretrained(..., push_to_hub=True, ...)` forwards to push_folder.
PUSH_OPTIONS = frozenset({"repo_id", "commit_message", "commit_description", "token", "private", "create_pr", "revision"})


def push_folder(
    folder: str,
    *,
    default_message: str,
    token: bool | str | None = None,
    repo_id: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    commit_description: str | None = None,
    revision: str | None = None,
    create_pr: bool | None = None,
) -> Any:
    """Upload a folder just written by ``save_pretrained(..., push_to_hub=True)`` in one commit.

    The repo defaults to the folder's name, like the reference, and is created when missing.

    Example:
        >>> push_folder("/tmp/x", default_message="Upload config", repo_id="a/b/c")
        Traceback (most recent call last):
        ...
        embrace.errors.HFValidationError: Repo id must be 'name' or 'org/name', got 'a/b/c'.
    """
    import os

    from embrace.hub.api import HfApi

    repo_id = repo_id or os.path.basename(os.path.normpath(folder))
    validate_repo_id(repo_id)
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    return api.upload_folder(
        repo_id=repo_id,
        folder_path=folder,
        commit_message=commit_message or default_message,
        commit_description=commit_description,
        revision=revision,
        create_pr=create_pr,
    )
