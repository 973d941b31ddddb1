"""``embrace hub serve``: a real model hub on your machine that the Hugging Face clients accept.

Repos are bare git repositories under a ROOT folder (real branches, tags and commit shas),
large files live in a git-LFS style object store, and the HTTP API follows the protocol of
the Hugging Face hub closely enough for ``huggingface_hub``, ``transformers`` and
``embrace.hub`` to download, list, create repos and upload against it.

- :func:`create_app` builds the ASGI application, :func:`serve` runs it in the
  foreground, :class:`HubServer` runs it in a background thread;
- :mod:`~embrace.hub.server.storage` is the git-backed store (also used by
  ``embrace hub import``), :mod:`~embrace.hub.server.auth` the tokens file and access rules.

Example:
    >>> from embrace.hub.server import HubServer
    >>> with HubServer("/tmp/hub-root") as server:  # doctest: +SKIP
    ...     import os
    ...     os.environ["HF_ENDPOINT"] = server.url  # then start the client process
"""

from embrace.hub.server.app import HubServer, create_app, serve
from embrace.hub.server.storage import RepoStore, import_folder

__all__ = ["HubServer", "RepoStore", "create_app", "import_folder", "serve"]
