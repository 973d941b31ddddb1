"""Bearer tokens and access rules of ``embrace hub serve``.

**Tokens file** (JSON; YAML when the name ends in ``.yaml``/``.yml``)::

    {
      "tokens": {
        "hf_alice_secret": {"user": "alice", "role": "write", "orgs": ["acme"]},
        "hf_bob_secret":   {"user": "bob",   "role": "read"},
        "hf_admin_secret": {"user": "root",  "role": "write", "orgs": ["*"]}
      },
      "private": ["alice/secret-model", "datasets/acme/internal-data"],
      "gated":   {"alice/gated-model": ["bob"]}
    }

- ``tokens``: token -> ``user`` (its namespace), ``role`` (``read`` or ``write``) and
  optional ``orgs`` (more namespaces the user belongs to; ``"*"`` = every namespace,
  including legacy repos without one). Clients send ``Authorization: Bearer <token>``
  (HTTP Basic with the token as password works too, for git-lfs clients).
- ``private``: repos only members of their namespace may see (in addition to repos
  created with ``private=True``). Dataset and space ids take a ``datasets/`` or
  ``spaces/`` prefix.
- ``gated``: repos whose files only their namespace members and the listed users may
  download (in addition to repos gated through ``update_repo_settings``). A list instead
  of a mapping gates the repos with no extra users.

The file is re-read when it changes, so tokens can be added without a restart.

**Without a tokens file** the hub is open: every request acts as the user ``local`` with
write access to every namespace (meant for a hub on 127.0.0.1).

**Access rules** (what the reference client expects from the Hugging Face hub):

==============================================  ==========================================
situation                                       answer
==============================================  ==========================================
unknown token                                   401, ``X-Error-Code: RepoNotFound``
missing or private repo, no token               401, ``X-Error-Code: RepoNotFound``
missing or private repo, token without access   404, ``X-Error-Code: RepoNotFound``
gated repo file, no token                       401, ``X-Error-Code: GatedRepo``
gated repo file, token without access           403, ``X-Error-Code: GatedRepo``
write without a token                           401
write with a read token / foreign namespace     403
==============================================  ==========================================

Example:
    >>> from embrace.hub.server.auth import TokenRegistry
    >>> registry = TokenRegistry(None)
    >>> registry.authenticate(None).name
    'local'
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embrace.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

logger = logging.getLogger("embrace.hub.server")

ROLES = ("read", "write")
OPEN_MODE_USER = "local"

INVALID_TOKEN_MESSAGE = "Invalid credentials in Authorization header"


@dataclass(frozen=True)
class Principal:
    """Who sent a request: a token's user, anonymous (``name=None``), or an unknown token."""

    name: str | None
    role: str | None = None
    orgs: tuple[str, ...] = ()
    invalid_token: bool = False

    @property
    def anonymous(self) -> bool:
        return self.name is None

    @property
    def can_write(self) -> bool:
        return self.role == "write"

    def member_of(self, namespace: str | None) -> bool:
        """Whether the user belongs to ``namespace`` (None: a legacy repo without namespace)."""
        if self.name is None:
            return False
        if "*" in self.orgs:
            return True
        return namespace is not None and (namespace == self.name or namespace in self.orgs)


@dataclass(frozen=True)
class RepoPolicy:
    """The access settings of one repo (from its settings and the tokens file together)."""

    repo_type: str
    repo_id: str
    exists: bool
    private: bool = False
    gated: bool = False
    gated_users: tuple[str, ...] = ()

    @property
    def namespace(self) -> str | None:
        return self.repo_id.split("/")[0] if "/" in self.repo_id else None


def _config_key(repo_type: str, repo_id: str) -> str:
    return repo_id if repo_type == "model" else f"{repo_type}s/{repo_id}"


class TokenRegistry:
    """The tokens file (see the module docstring), re-read whenever it changes on disk.

    Args:
        tokens_file: path of the JSON/YAML tokens file, or None for an open hub.

    Example:
        >>> TokenRegistry(None).open_mode
        True
    """

    def __init__(self, tokens_file: str | os.PathLike | None) -> None:
        self.path = Path(tokens_file).expanduser() if tokens_file is not None else None
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._tokens: dict[str, Principal] = {}
        self._private: set[str] = set()
        self._gated: dict[str, tuple[str, ...]] = {}
        if self.path is not None:
            if not self.path.is_file():
                raise FileNotFoundError(
                    f"Tokens file {self.path} does not exist. Create it (see `embrace.hub.server.auth`) or start "
                    "the hub without --tokens for an open hub."
                )
            self._reload()

    @property
    def open_mode(self) -> bool:
        return self.path is None

    # -- loading

    def _reload(self) -> None:
        assert self.path is not None
        with self._lock:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp == self._stamp:
                return
            self._tokens, self._private, self._gated = _parse_tokens_file(self.path)
            self._stamp = stamp
            logger.info("loaded %d token(s) from %s", len(self._tokens), self.path)

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            self._reload()
        except (OSError, ValueError) as exc:  # keep serving with the last good file
            logger.error("could not re-read tokens file %s (%s); keeping the previous tokens", self.path, exc)

    # -- requests

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal behind an ``Authorization`` header value (None: no header)."""
        if self.open_mode:
            return Principal(OPEN_MODE_USER, "write", ("*",))
        self._refresh()
        token = _token_from_header(authorization)
        if token is None:
            return Principal(None)
        found = None
        for known, principal in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = principal
        return found if found is not None else Principal(None, invalid_token=True)

    def policy(self, repo_type: str, repo_id: str, *, exists: bool, private: bool = False, gated: bool = False,
               gated_users: tuple[str, ...] = ()) -> RepoPolicy:
        """Merge a repo's own settings with what the tokens file says about it."""
        self._refresh()
        key = _config_key(repo_type, repo_id)
        extra_users = self._gated.get(key)
        return RepoPolicy(
            repo_type=repo_type,
            repo_id=repo_id,
            exists=exists,
            private=private or key in self._private,
            gated=gated or extra_users is not None,
            gated_users=tuple(gated_users) + tuple(extra_users or ()),
        )


def _token_from_header(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            _, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except ValueError:
            return value
        return password or None
    return authorization.strip()


def _parse_tokens_file(path: Path) -> tuple[dict[str, Principal], set[str], dict[str, tuple[str, ...]]]:
    text = path.read_text(encoding="utf-8")
    data: Any
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text) or {}
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Tokens file {path} is not valid JSON: {exc}. Fix the file (or name it .yaml).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("tokens", {}), dict):
        raise ValueError(f"Tokens file {path} must be a mapping with a 'tokens' mapping, e.g. "
                         '{"tokens": {"hf_xxx": {"user": "alice", "role": "write"}}}.')
    tokens: dict[str, Principal] = {}
    for token, entry in (data.get("tokens") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("user"), str) or not entry["user"]:
            raise ValueError(f"Tokens file {path}: the entry of token {str(token)[:6]}... needs a 'user' name.")
        role = entry.get("role", "read")
        if role not in ROLES:
            raise ValueError(f"Tokens file {path}: role {role!r} of user {entry['user']!r} must be one of {ROLES}.")
        orgs = entry.get("orgs", [])
        if not isinstance(orgs, list) or not all(isinstance(org, str) for org in orgs):
            raise ValueError(f"Tokens file {path}: 'orgs' of user {entry['user']!r} must be a list of names.")
        tokens[str(token)] = Principal(entry["user"], role, tuple(orgs))
    private = data.get("private", []) or []
    if not isinstance(private, list):
        raise ValueError(f"Tokens file {path}: 'private' must be a list of repo ids.")
    gated_raw = data.get("gated", {}) or {}
    if isinstance(gated_raw, list):
        gated = {str(repo): () for repo in gated_raw}
    elif isinstance(gated_raw, dict):
        gated = {str(repo): tuple(str(user) for user in (users or [])) for repo, users in gated_raw.items()}
    else:
        raise ValueError(f"Tokens file {path}: 'gated' must map repo ids to lists of users (or be a list of repo ids).")
    return tokens, {str(repo) for repo in private}, gated


# --- access checks -----------------------------------------------------------------


def _not_found(principal: Principal, policy: RepoPolicy, reason: str = "") -> RepositoryNotFoundError:
    what = f"{policy.repo_type} repository {policy.repo_id!r}"
    if principal.invalid_token:
        return RepositoryNotFoundError(
            f"{INVALID_TOKEN_MESSAGE}: the token is not known to this hub, so {what} cannot be accessed. "
            "Check the token or send the request without one.",
            status_code=401,
        )
    if principal.anonymous:
        return RepositoryNotFoundError(
            f"{what.capitalize()} not found{reason}. If it is private, pass a token of a member of its namespace.",
            status_code=401,
        )
    return RepositoryNotFoundError(
        f"{what.capitalize()} not found{reason}, or user {principal.name!r} is not allowed to see it.",
        status_code=404,
    )


def check_read(principal: Principal, policy: RepoPolicy) -> None:
    """Raise RepositoryNotFoundError unless ``principal`` may see the repo (metadata and listings)."""
    if principal.invalid_token or not policy.exists:
        raise _not_found(principal, policy)
    if policy.private and not principal.member_of(policy.namespace):
        raise _not_found(principal, policy)


def check_download(principal: Principal, policy: RepoPolicy) -> None:
    """``check_read``, then GatedRepoError unless ``principal`` may download files of a gated repo."""
    check_read(principal, policy)
    if not policy.gated or principal.member_of(policy.namespace) or (principal.name in policy.gated_users):
        return
    if principal.anonymous:
        raise GatedRepoError(
            f"Access to {policy.repo_type} {policy.repo_id!r} is restricted: it is gated. Pass a token of a user "
            "who was granted access.",
            status_code=401,
        )
    raise GatedRepoError(
        f"Access to {policy.repo_type} {policy.repo_id!r} is restricted and user {principal.name!r} is not in "
        "the authorized list. Ask the repo owner for access.",
        status_code=403,
    )


def check_write(principal: Principal, policy: RepoPolicy, *, open_pr: bool = False) -> None:
    """Raise unless ``principal`` may write to the repo (or, with ``open_pr``, open a pull request)."""
    check_read(principal, policy)
    if principal.anonymous:
        raise HfHubHTTPError(
            f"Writing to {policy.repo_id!r} needs authentication: send a write token (Authorization: Bearer ...).",
            status_code=401,
        )
    if open_pr:
        return  # anyone who can see a repo may open a pull request on it
    if not principal.can_write:
        raise HfHubHTTPError(
            f"The token of user {principal.name!r} is read-only: use a token with role 'write' to change "
            f"{policy.repo_id!r}.",
            status_code=403,
        )
    if not principal.member_of(policy.namespace):
        raise HfHubHTTPError(
            f"User {principal.name!r} cannot write to namespace {policy.namespace or '(none)'!r} of {policy.repo_id!r}: "
            "only its members can.",
            status_code=403,
        )


def check_create(principal: Principal, namespace: str | None, repo_id: str) -> None:
    """Raise unless ``principal`` may create a repo in ``namespace``."""
    if principal.invalid_token:
        raise HfHubHTTPError(f"{INVALID_TOKEN_MESSAGE}: the token is not known to this hub.", status_code=401)
    if principal.anonymous:
        raise HfHubHTTPError(
            f"Creating {repo_id!r} needs authentication: send a write token (Authorization: Bearer ...).",
            status_code=401,
        )
    if not principal.can_write:
        raise HfHubHTTPError(
            f"The token of user {principal.name!r} is read-only: use a token with role 'write' to create repos.",
            status_code=403,
        )
    if not principal.member_of(namespace):
        raise HfHubHTTPError(
            f"User {principal.name!r} cannot create {repo_id!r}: namespace {namespace or '(none)'!r} is not theirs.",
            status_code=403,
        )
