"""The HTTP side of ``embrace hub serve``: a Starlette app that speaks the Hugging Face hub protocol.

It answers what ``huggingface_hub`` (and ``embrace.hub``) send, with the headers and
bodies they expect:

- file downloads: ``HEAD``/``GET /{repo_id}/resolve/{revision}/{path}`` (also under
  ``/datasets/`` and ``/spaces/``) with ``X-Repo-Commit``, ``ETag`` (git blob id, or the
  sha256 for LFS files), ``X-Linked-Etag``/``X-Linked-Size`` and ``Range`` support. LFS
  files answer with a ``302`` to a signed download URL (by default a relative URL on this
  same server, which the client follows; with ``cdn_url`` an absolute URL on another
  origin, where the client stops and downloads without its token, as with the real CDN);
- repo metadata: ``/api/{models,datasets,spaces}/{repo_id}[/revision/{rev}]``
  (``?blobs=true`` adds sizes, blob ids and LFS info), ``/tree/{rev}[/{path}]``
  (paginated with ``Link`` headers), ``/paths-info/{rev}``, ``/refs``, ``/commits/{rev}``;
- writes: ``/api/repos/create``, ``/api/repos/delete``, ``/preupload/{rev}``, the git-lfs
  batch API (``/{repo_id}.git/info/lfs/objects/batch``, basic transfer, uploads checked
  against their sha256), ``/commit/{rev}`` (the NDJSON body of ``create_commit``, with
  ``create_pr``), ``/branch/{name}``, ``/tag/{rev}``, ``/settings``;
- ``/api/whoami-v2`` and ``/api/validate-yaml``.

Errors carry ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``,
``GatedRepo``) and a ``{"error": "..."}`` body, so the reference client raises the same
exception types as against the real hub. Access rules are in :mod:`embrace.hub.server.auth`,
storage in :mod:`embrace.hub.server.storage`.

Uploads use git-LFS, not Xet. ``huggingface_hub`` uploads through Xet whenever the
``hf_xet`` package is installed, so set ``HF_HUB_DISABLE_XET=1`` in clients that upload.

Example:
    >>> from embrace.hub.server import HubServer
    >>> with HubServer("/tmp/hub-root") as server:  # doctest: +SKIP
    ...     from huggingface_hub import HfApi
    ...     HfApi(endpoint=server.url).create_repo("local/tiny")
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import mimetypes
import os
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlencode, parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from embrace.errors import (
    EmbraceError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub.server import auth
from embrace.hub.server.auth import INVALID_TOKEN_MESSAGE, Principal, TokenRegistry
from embrace.hub.server.storage import (
    AddFile,
    AddLfsFile,
    CommitOperation,
    DeletePath,
    HubRepo,
    RepoStore,
    TreeEntry,
    check_path_in_repo,
    check_repo_id,
    check_repo_type,
    gitignore_matches,
    should_use_lfs,
)

logger = logging.getLogger("embrace.hub.server")

TYPE_BY_PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
TREE_PAGE_SIZE = 1000
TREE_PAGE_SIZE_EXPANDED = 50
COMMITS_PAGE_SIZE = 50
SIGNED_URL_TTL = 3600
DEFAULT_MAX_BODY_SIZE = 1 << 30
LFS_MEDIA_TYPE = "application/vnd.git-lfs+json"
_CHUNK = 1 << 20

# path words that follow a repo id in /api/{type}s/{repo_id}/<word>/...
_API_SUBPATHS = {
    "revision", "tree", "paths-info", "refs", "commits", "preupload", "commit", "branch", "tag", "settings",
    "xet-write-token", "xet-read-token", "resolve", "discussions", "treesize",
}


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def _header_safe(text: str) -> str:
    return " ".join(text.encode("ascii", "replace").decode("ascii").split())[:1000]


def _split_path(scope: dict) -> list[str]:
    """The request path split on ``/`` *before* percent-decoding, so ``refs%2Fpr%2F1`` stays one segment."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8")
    raw = raw.split(b"?", 1)[0]
    segments = raw.split(b"/")[1:]
    if segments and segments[-1] == b"":
        segments = segments[:-1]
    try:
        return [unquote_to_bytes(segment).decode("utf-8") for segment in segments]
    except UnicodeDecodeError as exc:
        raise HFValidationError("The request path is not valid UTF-8 once percent-decoded.") from exc


def _entry_not_found(message: str, commit: str | None) -> EntryNotFoundError:
    error = EntryNotFoundError(message)
    error.repo_commit = commit  # type: ignore[attr-defined]
    return error


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """``(start, end)`` (inclusive) of a single ``bytes=`` range, ``"unsatisfiable"``, or None to ignore it."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match or (not match.group(1) and not match.group(2)):
        return None  # malformed or multi-range: RFC 9110 lets a server ignore it and send everything
    if match.group(1):
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else size - 1
        if match.group(2) and end < start:
            return None  # invalid: ignored
        if start >= size:
            return "unsatisfiable"
        return start, min(end, size - 1)
    suffix = int(match.group(2))
    if suffix == 0:
        return "unsatisfiable"
    return max(size - suffix, 0), size - 1


def _content_disposition(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "_").replace("?", "_")
    return f"inline; filename*=UTF-8''{quote(name)}; filename=\"{ascii_name}\""


def _iter_file(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def _serve_content(request: Request, *, size: int, headers: dict[str, str], media_type: str,
                   data: bytes | None = None, path: Path | None = None) -> Response:
    """Answer with the whole content or the asked ``Range`` of it (from memory or a file)."""
    headers = {**headers, "Accept-Ranges": "bytes"}
    status = 200
    start, end = 0, size - 1
    asked = request.headers.get("range")
    if asked:
        parsed = _parse_range(asked, size)
        if parsed == "unsatisfiable":
            message = f"Range {asked!r} is outside the file ({size} bytes)."
            return JSONResponse({"error": message}, status_code=416,
                                headers={**headers, "Content-Range": f"bytes */{size}",
                                         "X-Error-Message": _header_safe(message)})
        if isinstance(parsed, tuple):
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = max(end - start + 1, 0)
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(b"", status_code=status, headers=headers, media_type=media_type)
    if data is not None:
        return Response(data[start : start + length], status_code=status, headers=headers, media_type=media_type)
    assert path is not None
    return StreamingResponse(_iter_file(path, start, length), status_code=status, headers=headers, media_type=media_type)


class HubApp:
    """The hub: request routing, access checks and the protocol's JSON shapes.

    Use :func:`create_app` to get the ASGI application.
    """

    def __init__(self, root: str | os.PathLike, *, tokens_file: str | os.PathLike | None = None,
                 cdn_url: str | None = None, max_body_size: int = DEFAULT_MAX_BODY_SIZE) -> None:
        self.store = RepoStore(root)
        self.tokens = TokenRegistry(tokens_file)
        self.cdn_url = cdn_url.rstrip("/") if cdn_url else None
        self.max_body_size = max_body_size
        self._secret = self.store.secret()

    # -- plumbing

    async def endpoint(self, request: Request) -> Response:
        """The single Starlette endpoint: route, run, and turn errors into hub-style answers."""
        try:
            segments = _split_path(request.scope)
            handler = self._route(request.method, segments)
            if handler is None:
                raise HfHubHTTPError(
                    f"No endpoint for {request.method} {request.url.path} on this hub.", status_code=404
                )
            return await handler(request)
        except Exception as exc:  # every failure becomes a JSON error answer
            return self._error_response(exc, request)

    def _error_response(self, exc: Exception, request: Request) -> Response:
        code = None
        if isinstance(exc, GatedRepoError):
            status, code = exc.status_code or 403, "GatedRepo"
        elif isinstance(exc, RepositoryNotFoundError):
            status, code = exc.status_code or 404, "RepoNotFound"
        elif isinstance(exc, RevisionNotFoundError):
            status, code = 404, "RevisionNotFound"
        elif isinstance(exc, EntryNotFoundError):
            status, code = 404, "EntryNotFound"
        elif isinstance(exc, HfHubHTTPError):
            status = exc.status_code or 500
        elif isinstance(exc, (HFValidationError, EmbraceError)) and isinstance(exc, ValueError):
            status = 400
        else:
            status = 500
        message = str(exc)
        if status == 500:
            # details (git output, file paths) go to the server log, not to the client
            logger.error("%s %s failed: %s", request.method, request.url.path, message, exc_info=exc)
            message = f"Internal server error ({type(exc).__name__}); the hub's log has the details."
        else:
            logger.debug("%s %s -> %d %s", request.method, request.url.path, status, message)
        headers = {"X-Error-Message": _header_safe(message)}
        if code is not None:
            headers["X-Error-Code"] = code
        commit = getattr(exc, "repo_commit", None)
        if commit:
            headers["X-Repo-Commit"] = commit
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    def _principal(self, request: Request) -> Principal:
        return self.tokens.authenticate(request.headers.get("authorization"))

    def _open_repo(self, principal: Principal, repo_type: str, repo_id: str, need: str) -> HubRepo:
        """The repo after the access check ``need`` (read / download / write / pr) passed."""
        repo_type = check_repo_type(repo_type)
        try:
            check_repo_id(repo_id)
            exists = self.store.exists(repo_type, repo_id)
        except HFValidationError:
            exists = False
        meta = self.store.open(repo_type, repo_id).meta() if exists else None
        policy = self.tokens.policy(
            repo_type, repo_id, exists=exists,
            private=bool(meta and meta.private), gated=bool(meta and meta.gated),
            gated_users=tuple(meta.gated_users) if meta else (),
        )
        if need == "read":
            auth.check_read(principal, policy)
        elif need == "download":
            auth.check_download(principal, policy)
        elif need == "write":
            auth.check_write(principal, policy)
        elif need == "pr":
            auth.check_write(principal, policy, open_pr=True)
        else:  # pragma: no cover - programming error
            raise ValueError(f"unknown access need {need!r}")
        return self.store.open(repo_type, repo_id)

    async def _read_body(self, request: Request) -> bytes:
        chunks = []
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > self.max_body_size:
                raise HfHubHTTPError(
                    f"Request body is larger than this hub's limit of {self.max_body_size} bytes: upload large "
                    "files through LFS (they are not sent inline).",
                    status_code=413,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def _read_json(self, request: Request) -> Any:
        body = await self._read_body(request)
        if not body.strip():
            return {}
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HFValidationError(f"The request body is not valid JSON: {exc}.") from exc

    @staticmethod
    def _base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _repo_url(self, request: Request, repo_type: str, repo_id: str) -> str:
        return f"{self._base(request)}/{URL_PREFIX[repo_type]}{repo_id}"

    def _sign(self, *parts: str) -> str:
        return hmac.new(self._secret, "\n".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()

    def _check_signature(self, expected: str, given: str | None, expires: str | None) -> None:
        if not given or not hmac.compare_digest(expected, given):
            raise HfHubHTTPError("This signed URL is invalid: ask the hub for a new one.", status_code=403)
        if not (expires or "").isdigit() or int(expires or 0) < time.time():
            raise HfHubHTTPError("This signed URL has expired: ask the hub for a new one.", status_code=403)

    # -- routing

    def _split_repo(self, rest: list[str]) -> tuple[str, list[str]]:
        """Split ``[org, name, word, ...]`` / ``[name, word, ...]`` into the repo id and what follows."""
        if not rest:
            raise HfHubHTTPError("A repo id is missing from the URL.", status_code=404)
        if len(rest) >= 2 and (rest[1] not in _API_SUBPATHS or self._exists_any(f"{rest[0]}/{rest[1]}")):
            return f"{rest[0]}/{rest[1]}", rest[2:]
        return rest[0], rest[1:]

    def _exists_any(self, repo_id: str) -> bool:
        return any(self.store.exists(repo_type, repo_id) for repo_type in TYPE_BY_PLURAL.values())

    def _route(self, method: str, segs: list[str]) -> Callable[[Request], Awaitable[Response]] | None:
        get = method in ("GET", "HEAD")
        if segs[:1] == ["api"]:
            rest = segs[1:]
            if rest == ["whoami-v2"] and get:
                return self.whoami
            if rest == ["repos", "create"] and method == "POST":
                return self.create_repo
            if rest == ["repos", "delete"] and method == "DELETE":
                return self.delete_repo
            if rest == ["validate-yaml"] and method == "POST":
                return self.validate_yaml
            if rest and rest[0] in TYPE_BY_PLURAL:
                repo_type = TYPE_BY_PLURAL[rest[0]]
                if len(rest) == 1:
                    return (lambda request: self.list_repos(request, repo_type)) if get else None
                return self._route_repo_api(method, repo_type, rest[1:])
            return None
        if segs[:2] == ["_embrace", "lfs"] and len(segs) == 3 and get:
            return lambda request: self.lfs_download(request, segs[2])
        if segs[:2] == ["_embrace", "lfs-upload"] and len(segs) == 3 and method == "PUT":
            return lambda request: self.lfs_upload(request, segs[2])
        # git-lfs: /[datasets/]{repo_id}.git/info/lfs/objects/{batch,verify}
        if len(segs) >= 5 and segs[-4:-1] == ["info", "lfs", "objects"] and segs[-5].endswith(".git") and method == "POST":
            repo_type, id_parts = self._typed_repo(segs[:-4])
            if id_parts:
                id_parts[-1] = id_parts[-1][: -len(".git")]
                repo_id = "/".join(id_parts)
                if segs[-1] == "batch":
                    return lambda request: self.lfs_batch(request, repo_type, repo_id)
                if segs[-1] == "verify":
                    return lambda request: self.lfs_verify(request, repo_type, repo_id)
            return None
        # downloads: /[datasets/|spaces/]{repo_id}/resolve/{revision}/{path}
        for index in (1, 2, 3):
            if len(segs) > index + 2 and segs[index] == "resolve" and get:
                repo_type, id_parts = self._typed_repo(segs[:index])
                if not id_parts or len(id_parts) > 2:
                    continue
                repo_id, revision, path = "/".join(id_parts), segs[index + 1], "/".join(segs[index + 2 :])
                return lambda request: self.resolve(request, repo_type, repo_id, revision, path)
        return None

    @staticmethod
    def _typed_repo(parts: list[str]) -> tuple[str, list[str]]:
        if parts and parts[0] in ("datasets", "spaces"):
            return TYPE_BY_PLURAL[parts[0]], list(parts[1:])
        return "model", list(parts)

    def _route_repo_api(self, method: str, repo_type: str, rest: list[str]):
        repo_id, sub = self._split_repo(rest)
        get = method in ("GET", "HEAD")
        word = sub[0] if sub else None
        args = sub[1:]
        if word is None and get:
            return lambda request: self.repo_info(request, repo_type, repo_id, None)
        if word == "revision" and args and get:
            return lambda request: self.repo_info(request, repo_type, repo_id, "/".join(args))
        if word == "tree" and args and get:
            return lambda request: self.tree(request, repo_type, repo_id, args[0], "/".join(args[1:]))
        if word == "paths-info" and args and method == "POST":
            return lambda request: self.paths_info(request, repo_type, repo_id, "/".join(args))
        if word == "refs" and not args and get:
            return lambda request: self.refs(request, repo_type, repo_id)
        if word == "commits" and args and get:
            return lambda request: self.commits(request, repo_type, repo_id, "/".join(args))
        if word == "preupload" and args and method == "POST":
            return lambda request: self.preupload(request, repo_type, repo_id, "/".join(args))
        if word == "commit" and args and method == "POST":
            return lambda request: self.commit(request, repo_type, repo_id, "/".join(args))
        if word == "branch" and args and method in ("POST", "DELETE"):
            return lambda request: self.branch(request, repo_type, repo_id, "/".join(args))
        if word == "tag" and args and method in ("POST", "DELETE"):
            return lambda request: self.tag(request, repo_type, repo_id, "/".join(args))
        if word == "settings" and not args and method == "PUT":
            return lambda request: self.settings(request, repo_type, repo_id)
        if word in ("xet-write-token", "xet-read-token"):
            return self.no_xet
        return None

    # -- account endpoints

    async def whoami(self, request: Request) -> Response:
        principal = self._principal(request)
        if principal.invalid_token:
            return JSONResponse({"error": INVALID_TOKEN_MESSAGE}, status_code=401,
                                headers={"X-Error-Message": INVALID_TOKEN_MESSAGE})
        if principal.anonymous:
            message = "Authentication required: send a token (Authorization: Bearer ...) to call whoami."
            return JSONResponse({"error": message}, status_code=401, headers={"X-Error-Message": message})
        orgs = [{"type": "org", "name": org, "fullname": org, "roleInOrg": principal.role}
                for org in principal.orgs if org != "*"]
        return JSONResponse({
            "type": "user",
            "id": principal.name,
            "name": principal.name,
            "fullname": principal.name,
            "email": None,
            "emailVerified": False,
            "isPro": False,
            "canPay": False,
            "orgs": orgs,
            "auth": {"type": "access_token", "accessToken": {"displayName": f"{principal.name}-token",
                                                             "role": principal.role}},
        })

    async def no_xet(self, request: Request) -> Response:
        raise HfHubHTTPError(
            "This hub stores large files with git-LFS, not Xet. Set HF_HUB_DISABLE_XET=1 in the client "
            "(huggingface_hub uses Xet whenever the hf_xet package is installed).",
            status_code=501,
        )

    async def validate_yaml(self, request: Request) -> Response:
        body = await self._read_json(request)
        content = body.get("content", "") if isinstance(body, dict) else ""
        try:
            _front_matter(content, strict=True)
        except ValueError as exc:
            return JSONResponse({"errors": [{"message": str(exc)}], "warnings": []}, status_code=400)
        return JSONResponse({"errors": [], "warnings": []})

    # -- repo lifecycle

    def _repo_id_from_body(self, body: Any, principal: Principal) -> tuple[str, str, str | None]:
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise HFValidationError('The request body must be JSON with a "name" (and optional "organization", "type").')
        repo_type = check_repo_type(body.get("type"))
        namespace = body.get("organization") or (principal.name if not principal.anonymous else None)
        name = body["name"]
        repo_id = f"{namespace}/{name}" if namespace else name
        check_repo_id(repo_id)
        return repo_type, repo_id, namespace

    async def create_repo(self, request: Request) -> Response:
        principal = self._principal(request)
        body = await self._read_json(request)
        repo_type, repo_id, namespace = self._repo_id_from_body(body, principal)
        auth.check_create(principal, namespace, repo_id)
        visibility = body.get("visibility")
        private = visibility == "private" if visibility is not None else bool(body.get("private", False))
        url = self._repo_url(request, repo_type, repo_id)
        try:
            await run_in_threadpool(self.store.create, repo_type, repo_id, private=private, author=principal.name)
        except HfHubHTTPError as exc:
            if exc.status_code == 409:
                message = f"You already created this {repo_type} repo: {repo_id}"
                return JSONResponse({"error": message, "url": url}, status_code=409,
                                    headers={"X-Error-Message": _header_safe(message)})
            raise
        return JSONResponse({"url": url, "name": repo_id, "id": repo_id})

    async def delete_repo(self, request: Request) -> Response:
        principal = self._principal(request)
        body = await self._read_json(request)
        repo_type, repo_id, _ = self._repo_id_from_body(body, principal)

        def work() -> None:
            self._open_repo(principal, repo_type, repo_id, "write")
            self.store.delete(repo_type, repo_id)

        await run_in_threadpool(work)
        return JSONResponse({})

    async def settings(self, request: Request, repo_type: str, repo_id: str) -> Response:
        principal = self._principal(request)
        body = await self._read_json(request)
        if not isinstance(body, dict):
            raise HFValidationError('Settings must be a JSON object such as {"gated": "auto", "visibility": "private"}.')
        private = None
        if "visibility" in body:
            if body["visibility"] not in ("public", "private"):
                raise HFValidationError(f"Visibility must be 'public' or 'private', got {body['visibility']!r}.")
            private = body["visibility"] == "private"
        elif "private" in body:
            private = bool(body["private"])
        gated = body.get("gated")
        if gated is not None and gated not in ("auto", "manual", False):
            raise HFValidationError(f"gated must be 'auto', 'manual' or false, got {gated!r}.")

        def work():
            repo = self._open_repo(principal, repo_type, repo_id, "write")
            return repo.update_meta(private=private, gated=gated)

        meta = await run_in_threadpool(work)
        return JSONResponse({"private": meta.private, "gated": meta.gated})

    async def list_repos(self, request: Request, repo_type: str) -> Response:
        principal = self._principal(request)
        params = request.query_params
        author = params.get("author")
        search = (params.get("search") or "").lower()
        limit = int(params["limit"]) if (params.get("limit") or "").isdigit() else None

        def work() -> list[dict]:
            out = []
            for repo_id in self.store.list_repos(repo_type):
                if author and not repo_id.startswith(f"{author}/"):
                    continue
                if search and search not in repo_id.lower():
                    continue
                try:
                    repo = self._open_repo(principal, repo_type, repo_id, "read")
                    sha = repo.resolve(None)
                except (RepositoryNotFoundError, RevisionNotFoundError):
                    continue
                out.append(self._info_json(repo, sha, blobs=False, siblings=False))
                if limit is not None and len(out) >= limit:
                    break
            return out

        return JSONResponse(await run_in_threadpool(work))

    # -- reading

    def _info_json(self, repo: HubRepo, sha: str, *, blobs: bool, siblings: bool = True) -> dict:
        tree = repo.tree(sha)
        details = repo.commit_details(sha)
        meta = repo.meta()
        policy = self.tokens.policy(repo.repo_type, repo.repo_id, exists=True, private=meta.private,
                                    gated=bool(meta.gated), gated_users=tuple(meta.gated_users))
        card, config = self._card_and_config(repo, sha)
        files = tree.files()
        data: dict[str, Any] = {
            "_id": hashlib.sha1(f"{repo.repo_type}/{repo.repo_id}".encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.namespace,
            "sha": sha,
            "lastModified": details.date,
            "createdAt": meta.created_at,
            "private": policy.private,
            "gated": (meta.gated or "auto") if policy.gated else False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": _tags(repo.repo_type, card, config, files),
            "usedStorage": sum(entry.size for entry in files),
        }
        if card:
            data["cardData"] = card
        if repo.repo_type == "model":
            data["modelId"] = repo.repo_id
            library = card.get("library_name") if card else None
            if library is None and config is not None:
                library = "transformers"
            if library:
                data["library_name"] = library
            if card and card.get("pipeline_tag"):
                data["pipeline_tag"] = card["pipeline_tag"]
            if config is not None:
                data["config"] = {key: config[key] for key in ("architectures", "model_type") if key in config}
            data["spaces"] = []
        elif repo.repo_type == "space":
            data["sdk"] = (card or {}).get("sdk")
        if siblings:
            data["siblings"] = [_sibling_json(entry, blobs) for entry in files]
        return data

    def _card_and_config(self, repo: HubRepo, sha: str) -> tuple[dict | None, dict | None]:
        card = None
        readme = repo.read_file(sha, "README.md")
        if readme is not None:
            try:
                card = _front_matter(readme.decode("utf-8", "replace"), strict=False)
            except ValueError:
                card = None
        config = None
        if repo.repo_type == "model":
            raw = repo.read_file(sha, "config.json")
            if raw is not None:
                try:
                    loaded = json.loads(raw)
                    config = loaded if isinstance(loaded, dict) else None
                except (json.JSONDecodeError, UnicodeDecodeError):
                    config = None
        return card, config

    async def repo_info(self, request: Request, repo_type: str, repo_id: str, revision: str | None) -> Response:
        principal = self._principal(request)
        blobs = _truthy(request.query_params.get("blobs"))

        def work() -> dict:
            repo = self._open_repo(principal, repo_type, repo_id, "read")
            return self._info_json(repo, repo.resolve(revision), blobs=blobs)

        return JSONResponse(await run_in_threadpool(work))

    def _entry_json(self, repo: HubRepo, sha: str, entry: TreeEntry, expand: bool) -> dict:
        if entry.type == "directory":
            data: dict[str, Any] = {"type": "directory", "oid": entry.oid, "size": 0, "path": entry.path}
        else:
            data = {"type": "file", "oid": entry.oid, "size": entry.size, "path": entry.path}
            if entry.lfs is not None:
                data["lfs"] = {"oid": entry.lfs.sha256, "size": entry.lfs.size, "pointerSize": entry.lfs.pointer_size}
        if expand:
            last = repo.log(sha, path=entry.path, limit=1)
            if last:
                data["lastCommit"] = {"id": last[0].oid, "title": last[0].title, "date": last[0].date}
        return data

    async def tree(self, request: Request, repo_type: str, repo_id: str, revision: str, path: str) -> Response:
        principal = self._principal(request)
        params = request.query_params
        recursive = _truthy(params.get("recursive"))
        expand = _truthy(params.get("expand"))
        cursor = int(params["cursor"]) if (params.get("cursor") or "").isdigit() else 0
        page_size = TREE_PAGE_SIZE_EXPANDED if expand else TREE_PAGE_SIZE
        if (params.get("limit") or "").isdigit():
            page_size = max(1, min(page_size, int(params["limit"])))

        def work() -> tuple[list[dict], str, bool]:
            repo = self._open_repo(principal, repo_type, repo_id, "read")
            sha = repo.resolve(revision)
            try:
                items = repo.tree(sha).listing(path, recursive=recursive)
            except EntryNotFoundError as exc:
                raise _entry_not_found(f"{exc} ({repo_type} {repo_id!r}, revision {revision!r})", sha) from None
            page = items[cursor : cursor + page_size]
            return [self._entry_json(repo, sha, entry, expand) for entry in page], sha, cursor + page_size < len(items)

        page, sha, more = await run_in_threadpool(work)
        headers = {}
        if more:
            query = urlencode({"recursive": str(recursive), "expand": str(expand), "cursor": cursor + page_size,
                               **({"limit": params["limit"]} if params.get("limit") else {})})
            suffix = f"/{quote(path, safe='')}" if path else ""
            link = f"{self._base(request)}/api/{repo_type}s/{repo_id}/tree/{sha}{suffix}?{query}"
            headers["Link"] = f'<{link}>; rel="next"'
        return JSONResponse(page, headers=headers)

    async def paths_info(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        principal = self._principal(request)
        body = await self._read_body(request)
        if "json" in request.headers.get("content-type", ""):
            try:
                form = json.loads(body or b"{}")
            except json.JSONDecodeError as exc:
                raise HFValidationError(f"The request body is not valid JSON: {exc}.") from exc
            paths = form.get("paths", [])
            paths = [paths] if isinstance(paths, str) else list(paths)
            expand = bool(form.get("expand", False))
        else:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            paths = form.get("paths", [])
            expand = _truthy((form.get("expand") or ["false"])[-1])

        def work() -> list[dict]:
            repo = self._open_repo(principal, repo_type, repo_id, "read")
            sha = repo.resolve(revision)
            entries = repo.tree(sha).entries
            return [self._entry_json(repo, sha, entries[p.strip("/")], expand)
                    for p in dict.fromkeys(paths) if p.strip("/") in entries]

        return JSONResponse(await run_in_threadpool(work))

    async def refs(self, request: Request, repo_type: str, repo_id: str) -> Response:
        principal = self._principal(request)
        include_prs = _truthy(request.query_params.get("include_prs"))

        def work() -> dict:
            repo = self._open_repo(principal, repo_type, repo_id, "read")
            out: dict[str, list] = {"branches": [], "converts": [], "tags": []}
            prs = []
            for name, sha in sorted(repo.refs().items()):
                for prefix, key in (("refs/heads/", "branches"), ("refs/tags/", "tags"), ("refs/convert/", "converts")):
                    if name.startswith(prefix):
                        out[key].append({"name": name[len(prefix):], "ref": name, "targetCommit": sha})
                if name.startswith("refs/pr/"):
                    prs.append({"name": name[len("refs/pr/"):], "ref": name, "targetCommit": sha})
            if include_prs:
                out["pullRequests"] = prs
            return out

        return JSONResponse(await run_in_threadpool(work))

    async def commits(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        principal = self._principal(request)
        page_num = int(request.query_params["p"]) if (request.query_params.get("p") or "").isdigit() else 0

        def work() -> tuple[list[dict], str, bool]:
            repo = self._open_repo(principal, repo_type, repo_id, "read")
            sha = repo.resolve(revision)
            history = repo.log(sha)
            page = history[page_num * COMMITS_PAGE_SIZE : (page_num + 1) * COMMITS_PAGE_SIZE]
            items = [{"id": c.oid, "title": c.title, "message": c.message, "date": c.date,
                      "authors": [{"user": c.author, "avatar": None}]} for c in page]
            return items, sha, (page_num + 1) * COMMITS_PAGE_SIZE < len(history)

        items, sha, more = await run_in_threadpool(work)
        headers = {}
        if more:
            link = f"{self._base(request)}/api/{repo_type}s/{repo_id}/commits/{sha}?p={page_num + 1}"
            headers["Link"] = f'<{link}>; rel="next"'
        return JSONResponse(items, headers=headers)

    # -- downloads

    def _download_location(self, repo: HubRepo, sha256: str, commit: str, filename: str) -> str:
        expires = str(int(time.time()) + SIGNED_URL_TTL)
        repo_key = f"{repo.repo_type}:{repo.repo_id}"
        signature = self._sign("download", repo_key, sha256, commit, filename, expires)
        query = urlencode({"repo": repo_key, "commit": commit, "name": filename, "expires": expires,
                           "signature": signature})
        path = f"/_embrace/lfs/{sha256}?{query}"
        return f"{self.cdn_url}{path}" if self.cdn_url else path

    async def resolve(self, request: Request, repo_type: str, repo_id: str, revision: str, path: str) -> Response:
        principal = self._principal(request)

        def work() -> tuple[HubRepo, str, TreeEntry, bytes | None]:
            repo = self._open_repo(principal, repo_type, repo_id, "download")
            sha = repo.resolve(revision)
            entry = repo.tree(sha).entries.get(path)
            if entry is None or entry.type != "file":
                raise _entry_not_found(
                    f"File {path!r} does not exist in {repo_type} {repo_id!r} at revision {revision!r} "
                    f"(commit {sha}).", sha)
            data = repo.read_blob(entry.oid) if entry.lfs is None else None
            return repo, sha, entry, data

        repo, sha, entry, data = await run_in_threadpool(work)
        headers = {"X-Repo-Commit": sha, "ETag": f'"{entry.etag}"', "Content-Disposition": _content_disposition(path)}
        if entry.lfs is not None:
            location = self._download_location(repo, entry.lfs.sha256, sha, path)
            headers.update({"X-Linked-Etag": f'"{entry.lfs.sha256}"', "X-Linked-Size": str(entry.lfs.size),
                            "Location": location, "Accept-Ranges": "bytes"})
            return Response(b"", status_code=302, headers=headers)
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return _serve_content(request, size=entry.size, headers=headers, media_type=media_type, data=data)

    async def lfs_download(self, request: Request, sha256: str) -> Response:
        params = request.query_params
        repo_key, commit, name = params.get("repo", ""), params.get("commit", ""), params.get("name", "")
        expires = params.get("expires")
        self._check_signature(self._sign("download", repo_key, sha256, commit, name, expires or ""),
                              params.get("signature"), expires)
        repo_type, _, repo_id = repo_key.partition(":")
        repo = self.store.open(repo_type, repo_id)
        object_path = repo.lfs_path(sha256)
        if not object_path.is_file():
            raise _entry_not_found(f"LFS object {sha256} is missing from the store of {repo_id!r}.", commit or None)
        size = object_path.stat().st_size
        headers = {"ETag": f'"{sha256}"', "X-Linked-Etag": f'"{sha256}"', "X-Linked-Size": str(size)}
        if commit:
            headers["X-Repo-Commit"] = commit
        if name:
            headers["Content-Disposition"] = _content_disposition(name)
        return _serve_content(request, size=size, headers=headers, media_type="application/octet-stream",
                              path=object_path)

    # -- uploads

    async def preupload(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        principal = self._principal(request)
        create_pr = _truthy(request.query_params.get("create_pr"))
        body = await self._read_json(request)
        files = body.get("files") if isinstance(body, dict) else None
        if not isinstance(files, list):
            raise HFValidationError('Preupload body must be {"files": [{"path": ..., "sample": ..., "size": ...}]}.')

        def work() -> dict:
            repo = self._open_repo(principal, repo_type, repo_id, "pr" if create_pr else "write")
            sha = repo.resolve(revision)
            tree = repo.tree(sha)
            attributes = repo.gitattributes(sha)
            gitignore = body.get("gitIgnore")
            if gitignore is None:
                raw = repo.read_file(sha, ".gitignore")
                gitignore = raw.decode("utf-8", "replace") if raw is not None else None
            answers = []
            for item in files:
                if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                    raise HFValidationError(f"Each preupload file needs a 'path', got {item!r}.")
                path = check_path_in_repo(item["path"])
                size = item.get("size")
                if not isinstance(size, int) or size < 0:
                    raise HFValidationError(f"File {path!r}: 'size' must be a non-negative integer, got {size!r}.")
                try:
                    sample = base64.b64decode(item.get("sample") or "", validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise HFValidationError(f"File {path!r}: 'sample' is not valid base64.") from exc
                existing = tree.entries.get(path)
                answers.append({
                    "path": path,
                    "uploadMode": "lfs" if should_use_lfs(path, size, sample, attributes) else "regular",
                    "shouldIgnore": bool(gitignore) and gitignore_matches(gitignore, path),
                    "oid": existing.etag if existing is not None and existing.type == "file" else None,
                })
            return {"files": answers, "commitOid": sha}

        return JSONResponse(await run_in_threadpool(work))

    async def lfs_batch(self, request: Request, repo_type: str, repo_id: str) -> Response:
        principal = self._principal(request)
        body = await self._read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("objects"), list):
            raise HFValidationError('LFS batch body must be {"operation": ..., "objects": [{"oid": ..., "size": ...}]}.')
        operation = body.get("operation")
        if operation not in ("upload", "download"):
            raise HFValidationError(f"LFS batch operation must be 'upload' or 'download', got {operation!r}.")
        # Without a target ref the client is preparing a pull request: seeing the repo is enough then.
        need = "download" if operation == "download" else ("write" if body.get("ref") else "pr")
        base = self._base(request)

        def work() -> dict:
            repo = self._open_repo(principal, repo_type, repo_id, need)
            objects = []
            for item in body["objects"]:
                oid = item.get("oid") if isinstance(item, dict) else None
                size = item.get("size") if isinstance(item, dict) else None
                if not isinstance(oid, str) or not re.fullmatch(r"[0-9a-f]{64}", oid) or not isinstance(size, int) \
                        or size < 0:
                    objects.append({"oid": str(oid), "size": size if isinstance(size, int) else 0,
                                    "error": {"code": 422, "message": "oid must be a sha256 hex string and size an "
                                                                      "integer >= 0"}})
                    continue
                present = repo.has_lfs_object(oid, size)
                entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
                if operation == "upload" and not present:
                    expires = str(int(time.time()) + SIGNED_URL_TTL)
                    repo_key = f"{repo_type}:{repo_id}"
                    signature = self._sign("upload", repo_key, oid, str(size), expires)
                    query = urlencode({"repo": repo_key, "size": size, "expires": expires, "signature": signature})
                    prefix = URL_PREFIX[repo_type]
                    entry["actions"] = {
                        "upload": {"href": f"{base}/_embrace/lfs-upload/{oid}?{query}", "expires_in": SIGNED_URL_TTL},
                        "verify": {"href": f"{base}/{prefix}{repo_id}.git/info/lfs/objects/verify",
                                   "expires_in": SIGNED_URL_TTL},
                    }
                elif operation == "download":
                    if not present:
                        entry = {"oid": oid, "size": size, "error": {"code": 404, "message": "Object does not exist"}}
                    else:
                        location = self._download_location(repo, oid, "", "")
                        href = location if location.startswith("http") else f"{base}{location}"
                        entry["actions"] = {"download": {"href": href, "expires_in": SIGNED_URL_TTL}}
                objects.append(entry)
            return {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}

        return JSONResponse(await run_in_threadpool(work), media_type=LFS_MEDIA_TYPE)

    async def lfs_upload(self, request: Request, sha256: str) -> Response:
        params = request.query_params
        repo_key, size_text, expires = params.get("repo", ""), params.get("size", ""), params.get("expires")
        self._check_signature(self._sign("upload", repo_key, sha256, size_text, expires or ""),
                              params.get("signature"), expires)
        repo_type, _, repo_id = repo_key.partition(":")
        repo = self.store.open(repo_type, repo_id)
        size = int(size_text)
        if repo.has_lfs_object(sha256, size):
            async for _ in request.stream():
                pass
            return JSONResponse({})
        with repo.lfs_writer(sha256, size) as writer:
            async for chunk in request.stream():
                writer.write(chunk)
        logger.info("stored LFS object %s (%d bytes) for %s", sha256[:12], size, repo_id)
        return JSONResponse({})

    async def lfs_verify(self, request: Request, repo_type: str, repo_id: str) -> Response:
        principal = self._principal(request)
        body = await self._read_json(request)
        oid = body.get("oid") if isinstance(body, dict) else None
        size = body.get("size") if isinstance(body, dict) else None
        repo = await run_in_threadpool(self._open_repo, principal, repo_type, repo_id, "read")
        if not isinstance(oid, str) or not repo.has_lfs_object(oid, size if isinstance(size, int) else None):
            message = f"LFS object {oid} ({size} bytes) is not in the store of {repo_id!r}: upload it again."
            return JSONResponse({"error": message, "message": message}, status_code=404,
                                headers={"X-Error-Message": _header_safe(message)})
        return JSONResponse({})

    async def commit(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        principal = self._principal(request)
        create_pr = _truthy(request.query_params.get("create_pr"))
        body = await self._read_body(request)

        def work():
            repo = self._open_repo(principal, repo_type, repo_id, "pr" if create_pr else "write")
            header, operations = _parse_commit_payload(body)
            return repo.commit(
                operations,
                branch=revision,
                summary=str(header.get("summary") or ""),
                description=str(header.get("description") or ""),
                author=principal.name,
                parent_commit=header.get("parentCommit"),
                create_pr=create_pr,
            )

        result = await run_in_threadpool(work)
        repo_url = self._repo_url(request, repo_type, repo_id)
        return JSONResponse({
            "success": True,
            "commitOid": result.oid,
            "commitUrl": f"{repo_url}/commit/{result.oid}",
            "hookOutput": "",
            "pullRequestUrl": f"{repo_url}/discussions/{result.pr_num}" if result.pr_num else None,
        })

    async def branch(self, request: Request, repo_type: str, repo_id: str, name: str) -> Response:
        principal = self._principal(request)
        body = await self._read_json(request) if request.method == "POST" else {}

        def work() -> None:
            repo = self._open_repo(principal, repo_type, repo_id, "write")
            if request.method == "DELETE":
                repo.delete_branch(name)
            else:
                start = body.get("startingPoint") if isinstance(body, dict) else None
                repo.create_branch(name, starting_point=start)

        await run_in_threadpool(work)
        return JSONResponse({})

    async def tag(self, request: Request, repo_type: str, repo_id: str, name: str) -> Response:
        principal = self._principal(request)
        body = await self._read_json(request) if request.method == "POST" else {}

        def work() -> None:
            repo = self._open_repo(principal, repo_type, repo_id, "write")
            if request.method == "DELETE":
                repo.delete_tag(name)
                return
            tag = body.get("tag") if isinstance(body, dict) else None
            if not isinstance(tag, str) or not tag:
                raise HFValidationError('Tag creation needs a JSON body {"tag": "<name>"}.')
            repo.create_tag(tag, revision=name, message=body.get("message"), author=principal.name)

        await run_in_threadpool(work)
        return JSONResponse({})


def _parse_commit_payload(body: bytes) -> tuple[dict, list[CommitOperation]]:
    """The header and operations of a ``create_commit`` NDJSON body."""
    header: dict = {}
    operations: list[CommitOperation] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HFValidationError(f"Commit payload line {number} is not valid JSON: {exc}.") from exc
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise HFValidationError(f'Commit payload line {number} must look like {{"key": ..., "value": {{...}}}}.')
        key, value = item.get("key"), item["value"]
        if key == "header":
            header = value
            continue
        path = value.get("path")
        if not isinstance(path, str):
            raise HFValidationError(f"Commit payload line {number} ({key}) has no 'path'.")
        if key == "file":
            content = value.get("content", "")
            if value.get("encoding", "base64") == "base64":
                try:
                    data = base64.b64decode(content, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise HFValidationError(f"Content of {path!r} is not valid base64.") from exc
            else:
                data = str(content).encode("utf-8")
            operations.append(AddFile(path, data))
        elif key == "lfsFile":
            oid = value.get("oid")
            if value.get("algo", "sha256") != "sha256" or not isinstance(oid, str):
                raise HFValidationError(f"LFS file {path!r} needs a sha256 'oid'.")
            size = value.get("size")
            operations.append(AddLfsFile(path, oid, size if isinstance(size, int) else None))
        elif key == "deletedFile":
            operations.append(DeletePath(path))
        elif key == "deletedFolder":
            operations.append(DeletePath(path, folder=True))
        else:
            raise HFValidationError(
                f"Unknown commit operation {key!r} on line {number}: expected header, file, lfsFile, deletedFile "
                "or deletedFolder."
            )
    if not header:
        raise HFValidationError('Commit payload has no header line {"key": "header", "value": {"summary": ...}}.')
    return header, operations


def _front_matter(text: str, *, strict: bool) -> dict | None:
    """The YAML metadata block at the top of a README, None when there is none."""
    import yaml

    if not text.startswith("---"):
        return None
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, flags=re.DOTALL)
    if match is None:
        if strict:
            raise ValueError("The metadata block opened with '---' is never closed by a '---' line.")
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ValueError(f"The metadata block is not valid YAML: {exc}") from exc
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("The metadata block must be a YAML mapping (key: value lines).")
    return data


def _sibling_json(entry: TreeEntry, blobs: bool) -> dict:
    data: dict[str, Any] = {"rfilename": entry.path}
    if blobs:
        data["size"] = entry.size
        data["blobId"] = entry.oid
        if entry.lfs is not None:
            data["lfs"] = {"sha256": entry.lfs.sha256, "size": entry.lfs.size, "pointerSize": entry.lfs.pointer_size}
    return data


def _tags(repo_type: str, card: dict | None, config: dict | None, files: list[TreeEntry]) -> list[str]:
    tags: list[str] = []
    card = card or {}
    raw = card.get("tags")
    if isinstance(raw, str):
        tags.append(raw)
    elif isinstance(raw, list):
        tags += [str(tag) for tag in raw]
    if repo_type == "model":
        if card.get("library_name"):
            tags.append(str(card["library_name"]))
        elif config is not None:
            tags.append("transformers")
        suffixes = {entry.path.rsplit(".", 1)[-1] for entry in files if "." in entry.path}
        if "safetensors" in suffixes:
            tags.append("safetensors")
        if "gguf" in suffixes:
            tags.append("gguf")
        if config is not None and isinstance(config.get("model_type"), str):
            tags.append(config["model_type"])
        if card.get("pipeline_tag"):
            tags.append(str(card["pipeline_tag"]))
    if card.get("license"):
        tags.append(f"license:{card['license']}")
    return list(dict.fromkeys(tags))


# --- the ASGI app and the servers ---------------------------------------------------


def create_app(root: str | os.PathLike, *, tokens_file: str | os.PathLike | None = None,
               cdn_url: str | None = None, max_body_size: int = DEFAULT_MAX_BODY_SIZE) -> Starlette:
    """The hub as an ASGI application (run it with uvicorn or any ASGI server).

    Args:
        root: folder holding the repositories (created when missing).
        tokens_file: JSON/YAML tokens file (see :mod:`embrace.hub.server.auth`); None = open hub.
        cdn_url: base URL (another origin, e.g. ``http://localhost:8000`` for a hub on
            ``127.0.0.1:8000``) that LFS downloads redirect to; None = relative redirects.
        max_body_size: largest accepted JSON/commit request body, in bytes.

    Example:
        >>> import uvicorn
        >>> app = create_app("/tmp/hub-root")  # doctest: +SKIP
        >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    hub = HubApp(root, tokens_file=tokens_file, cdn_url=cdn_url, max_body_size=max_body_size)
    methods = ["GET", "HEAD", "POST", "PUT", "DELETE"]
    app = Starlette(routes=[Route("/{rest:path}", hub.endpoint, methods=methods)])
    app.state.hub = hub
    return app


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"Cannot listen on {host}:{port} ({exc}). Pick another --port (0 = any free port).") from exc
    sock.listen(128)  # connections made from now on wait in the backlog until the server runs
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _warn_if_exposed(host: str, tokens_file: object) -> None:
    if tokens_file is None and host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("open hub (no tokens file) on %s: anyone who can reach it can read and write every repo. "
                       "Pass a tokens file to require tokens.", host)


def serve(root: str | os.PathLike, host: str = "127.0.0.1", port: int = 8000, *,
          tokens_file: str | os.PathLike | None = None, cdn_url: str | None = None, log_level: str = "info",
          on_ready: Callable[[str], None] | None = None) -> None:
    """Run the hub in the foreground until interrupted (Ctrl-C / SIGTERM).

    Args:
        root: folder holding the repositories.
        host: address to listen on (default loopback only).
        port: port to listen on; 0 picks a free one.
        tokens_file: JSON/YAML tokens file; None = open hub (every client may write).
        cdn_url: base URL LFS downloads redirect to; ``{port}`` is replaced by the bound port.
        log_level: uvicorn log level.
        on_ready: called with the hub URL once it listens (before requests are served).

    Example:
        >>> serve("/tmp/hub-root", port=8000)  # doctest: +SKIP
    """
    import uvicorn

    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    app = create_app(root, tokens_file=tokens_file, cdn_url=cdn_url.format(port=bound) if cdn_url else None)
    _warn_if_exposed(host, tokens_file)
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="off"))
    if on_ready is not None:
        on_ready(_url(host, bound))
    server.run(sockets=[sock])


class HubServer:
    """The hub running in a background thread of this process (for tests and notebooks).

    Args:
        root: folder holding the repositories.
        host: address to listen on.
        port: port; 0 (default) picks a free one (read it back from ``url``/``port``).
        tokens_file: JSON/YAML tokens file; None = open hub.
        cdn_url: base URL LFS downloads redirect to; ``{port}`` is replaced by the bound port,
            e.g. ``"http://localhost:{port}"`` for a CDN-like second origin.
        log_level: uvicorn log level.

    Example:
        >>> with HubServer("/tmp/hub-root") as server:  # doctest: +SKIP
        ...     print(server.url)
        http://127.0.0.1:38021
    """

    def __init__(self, root: str | os.PathLike, *, host: str = "127.0.0.1", port: int = 0,
                 tokens_file: str | os.PathLike | None = None, cdn_url: str | None = None,
                 log_level: str = "warning") -> None:
        self.root = Path(root)
        self.host = host
        self.port = port
        self.tokens_file = tokens_file
        self.cdn_url = cdn_url
        self.log_level = log_level
        self.app: Starlette | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    def start(self) -> "HubServer":
        """Listen and start serving in a daemon thread; returns self."""
        import uvicorn

        if self._thread is not None:
            raise RuntimeError("This HubServer is already running; call stop() first.")
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        cdn = self.cdn_url.format(port=self.port) if self.cdn_url else None
        try:
            self.app = create_app(self.root, tokens_file=self.tokens_file, cdn_url=cdn)
        except BaseException:
            sock.close()
            raise
        _warn_if_exposed(self.host, self.tokens_file)
        config = uvicorn.Config(self.app, log_level=self.log_level, lifespan="off", log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"embrace-hub-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the server to finish its requests and exit, then wait for the thread."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
