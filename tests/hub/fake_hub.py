"""A small in-memory hub for tests: a starlette app served by uvicorn on 127.0.0.1 (port 0) in a
background thread. It speaks the wire protocol of the Hugging Face Hub as both the reference
client (huggingface_hub) and embrace use it:

- ``HEAD``/``GET`` ``/[datasets/|spaces/]{repo_id}/resolve/{revision}/{path}`` with ``X-Repo-Commit``,
  ``ETag`` (git blob sha1), ``X-Linked-Etag``/``X-Linked-Size`` for LFS files, ``Range`` support,
  optional redirect of LFS files to a second origin (a "CDN" on another port);
- ``GET /api/{models,datasets,spaces}/{repo_id}[/revision/{rev}]`` (siblings, sha; ``blobs=true``
  adds size/blobId/lfs), ``GET /api/.../tree/{rev}`` (recursive listing), ``GET /api/whoami-v2``;
- uploads: ``POST /api/repos/create``, ``/api/{type}s/{id}/preupload/{rev}``, the LFS batch API
  ``POST /{id}.git/info/lfs/objects/batch`` (basic transfer: ``PUT`` to the returned href, then
  verify), and ``POST /api/{type}s/{id}/commit/{rev}`` with the NDJSON body;
- errors with ``X-Error-Code``: ``RepoNotFound`` (401), ``RevisionNotFound``/``EntryNotFound`` (404),
  ``GatedRepo`` (403);
- injected faults: answer an HTTP status N times, cut the body after N bytes, serve corrupted
  bytes, and relative redirects for renamed repos.

Usage::

    with FakeHub() as hub:
        sha = hub.add_repo("org/model", {"config.json": b"{}"})
        hf_hub_download("org/model", "config.json", endpoint=hub.endpoint)
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote

LFS_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".onnx", ".h5", ".msgpack", ".parquet", ".arrow")


def git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(content: bytes) -> bytes:
    sha = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(content)}\n".encode()


@dataclass
class FileEntry:
    content: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def blob_id(self) -> str:
        return git_blob_sha1(lfs_pointer(self.content) if self.lfs else self.content)

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.blob_id


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool = False
    gated: bool = False
    commits: dict[str, dict[str, FileEntry]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    pr_count: int = 0


@dataclass
class Fault:
    """One injected failure: applies to requests whose method matches and whose path contains ``path``."""

    method: str
    path: str
    kind: str  # "status" | "cut" | "corrupt" | "drop"
    times: int = 1
    status: int = 500
    after_bytes: int = 0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    port: int


class FakeHub:
    """In-memory hub on 127.0.0.1; ``endpoint`` is its URL. Use as a context manager or call start/stop."""

    def __init__(self, *, cdn: bool = False, lfs_threshold: int = 1024 * 1024, tokens: dict[str, str] | None = None):
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.tokens = {"hf_valid_token": "tester"} if tokens is None else tokens
        self.gated_allowed: set[str] = set()  # users allowed into gated repos
        self.renamed: dict[str, str] = {}  # old repo id -> new repo id (relative redirect)
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self.cdn = cdn  # redirect LFS files to the second origin (a "CDN" on another port)
        self.lfs_threshold = lfs_threshold
        self.commit_payloads: list[list[dict]] = []  # NDJSON lines of every commit received
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self.port = 0
        self.cdn_port = 0

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cdn_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.cdn_port}"

    def start(self) -> "FakeHub":
        import asyncio

        import uvicorn

        sockets = []
        for _ in range(2):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)  # connections queue up until uvicorn accepts them: no start-up race
            sockets.append(sock)
        self.port = sockets[0].getsockname()[1]
        self.cdn_port = sockets[1].getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="critical", access_log=False, lifespan="off",
                                timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=sockets)), daemon=True, name="fake-hub"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def reset(self) -> None:
        """Forget all repos, uploads, faults and recorded requests (the server keeps running)."""
        self.repos.clear()
        self.lfs_objects.clear()
        self.gated_allowed.clear()
        self.renamed.clear()
        self.faults.clear()
        self.requests.clear()
        self.commit_payloads.clear()
        self.cdn = False

    def __enter__(self) -> "FakeHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- content -----------------------------------------------------------------------------

    def _is_lfs(self, path: str, content: bytes, lfs: bool | None) -> bool:
        if lfs is not None:
            return lfs
        return path.endswith(LFS_SUFFIXES) or len(content) >= self.lfs_threshold

    @staticmethod
    def _commit_sha(parent: str | None, files: dict[str, FileEntry], message: str) -> str:
        digest = hashlib.sha1((parent or "").encode() + message.encode())
        for path in sorted(files):
            digest.update(path.encode() + b"\0" + files[path].etag.encode())
        return digest.hexdigest()

    def add_repo(
        self,
        repo_id: str,
        files: dict[str, bytes],
        *,
        repo_type: str = "model",
        branch: str = "main",
        tags: tuple[str, ...] = (),
        private: bool = False,
        gated: bool = False,
        lfs: dict[str, bool] | None = None,
    ) -> str:
        """Create a repo whose ``branch`` holds ``files``; returns the commit sha."""
        repo = Repo(repo_type=repo_type, repo_id=repo_id, private=private, gated=gated)
        self.repos[(repo_type, repo_id)] = repo
        sha = self.commit(repo_id, files, repo_type=repo_type, branch=branch, lfs=lfs, replace=True)
        for tag in tags:
            repo.refs[tag] = sha
        return sha

    def commit(
        self,
        repo_id: str,
        files: dict[str, bytes],
        *,
        repo_type: str = "model",
        branch: str = "main",
        delete: tuple[str, ...] = (),
        lfs: dict[str, bool] | None = None,
        replace: bool = False,
        message: str = "update",
    ) -> str:
        """A new commit on ``branch``: ``files`` added/replaced, ``delete`` removed; returns its sha."""
        repo = self.repos[(repo_type, repo_id)]
        parent = repo.refs.get(branch)
        tree = {} if replace or parent is None else dict(repo.commits[parent])
        for path in delete:
            tree.pop(path, None)
        for path, content in files.items():
            tree[path] = FileEntry(content, self._is_lfs(path, content, (lfs or {}).get(path)))
        sha = self._commit_sha(parent, tree, message)
        repo.commits[sha] = tree
        repo.refs[branch] = sha
        return sha

    def inject(self, method: str, path: str, kind: str, **options) -> Fault:
        fault = Fault(method=method, path=path, kind=kind, **options)
        self.faults.append(fault)
        return fault

    def requests_for(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method) and contains in r.path]

    def _take_fault(self, method: str, path: str, kinds: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path in path and fault.kind in kinds:
                    fault.times -= 1
                    return fault
        return None

    # --- the ASGI app ------------------------------------------------------------------------

    def app(self):
        from starlette.applications import Starlette
        from starlette.routing import Route

        async def endpoint(request):
            return await self._dispatch(request)

        methods = ["GET", "HEAD", "POST", "PUT", "DELETE"]
        return Starlette(routes=[Route("/{rest:path}", endpoint, methods=methods)])

    async def _dispatch(self, request):
        from starlette.responses import Response

        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?")[0]
        port = request.scope["server"][1]
        self.requests.append(Recorded(request.method, raw_path, request.url.query,
                                      {k.lower(): v for k, v in request.headers.items()}, port))
        fault = self._take_fault(request.method, raw_path, ("status",))
        if fault is not None:
            return Response(json.dumps({"error": f"injected {fault.status}"}), status_code=fault.status,
                            headers=fault.headers, media_type="application/json")
        parts = [unquote(p) for p in raw_path.strip("/").split("/")]
        if port == self.cdn_port:
            return self._cdn_get(request, parts)
        try:
            if parts[:1] == ["api"]:
                return await self._api(request, parts[1:])
            if raw_path.endswith(".git/info/lfs/objects/batch"):
                return await self._lfs_batch(request, raw_path)
            if parts[:1] == ["__lfs"]:
                return await self._lfs_object(request, parts[1:])
            return self._resolve(request, raw_path)
        except _HubError as error:
            return error.response()

    # --- helpers -----------------------------------------------------------------------------

    def _user(self, request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:]
            if token not in self.tokens:
                raise _HubError(401, "Invalid credentials in Authorization header", code=None)
            return self.tokens[token]
        return None

    def _repo(self, request, repo_type: str, repo_id: str, *, write: bool = False) -> Repo:
        user = self._user(request)
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and user is None):
            raise _HubError(401 if user is None else 404, "Repository not found", code="RepoNotFound")
        if write and user is None:
            raise _HubError(401, "Invalid credentials in Authorization header", code=None)
        if repo.gated and not write and user not in self.gated_allowed:
            raise _HubError(403, f"Access to {repo_type} {repo_id} is restricted. You must have access to it and be "
                            "authenticated to access it.", code="GatedRepo")
        return repo

    @staticmethod
    def _commit_of(repo: Repo, revision: str) -> str:
        if revision in repo.refs:
            return repo.refs[revision]
        if revision in repo.commits:
            return revision
        raise _HubError(404, f"Invalid rev id: {revision}", code="RevisionNotFound")

    def _split_repo(self, parts: list[str], marker: str) -> tuple[str, str, list[str]] | None:
        """Parse ``[datasets|spaces/]org/name/<marker>/...`` -> (repo_type, repo_id, rest after marker)."""
        repo_type = "model"
        if parts and parts[0] in ("datasets", "spaces", "models") and marker in parts[2:4]:
            repo_type = parts[0][:-1]
            parts = parts[1:]
        for length in (2, 1):
            if len(parts) > length and parts[length] == marker:
                return repo_type, "/".join(parts[:length]), parts[length + 1:]
        return None

    # --- file downloads ----------------------------------------------------------------------

    def _resolve(self, request, raw_path: str):
        from starlette.responses import Response

        raw_parts = raw_path.strip("/").split("/")
        parsed = self._split_repo([unquote(p) for p in raw_parts], "resolve")
        if parsed is None:
            return Response("Not Found", status_code=404)
        repo_type, repo_id, rest = parsed
        if repo_id in self.renamed:
            new_path = raw_path.replace(f"{repo_id}/resolve/", f"{self.renamed[repo_id]}/resolve/", 1)
            return Response(status_code=307, headers={"Location": new_path})  # relative redirect
        # the revision is one path segment (percent-encoded); the rest is the file path
        index = raw_parts.index("resolve", 1)
        revision = unquote(raw_parts[index + 1])
        path = unquote("/".join(raw_parts[index + 2:]))
        repo = self._repo(request, repo_type, repo_id)
        commit = self._commit_of(repo, revision)
        entry = repo.commits[commit].get(path)
        if entry is None:
            raise _HubError(404, "Entry not found", code="EntryNotFound", headers={"X-Repo-Commit": commit})
        headers = {"X-Repo-Commit": commit, "ETag": f'"{entry.blob_id}"', "Accept-Ranges": "bytes"}
        if entry.lfs:
            headers["X-Linked-Etag"] = f'"{entry.sha256}"'
            headers["X-Linked-Size"] = str(len(entry.content))
            if self.cdn:
                headers["Location"] = f"{self.cdn_endpoint}/{entry.sha256}?signature=fake"
                return Response(status_code=302, headers=headers)
        return self._serve_bytes(request, entry.content, headers, raw_path)

    def _cdn_get(self, request, parts: list[str]):
        from starlette.responses import Response

        content = None
        for repo in self.repos.values():
            for tree in repo.commits.values():
                for entry in tree.values():
                    if entry.sha256 == parts[0]:
                        content = entry.content
        if content is None:
            return Response("Not Found", status_code=404)
        return self._serve_bytes(request, content, {"ETag": f'"{parts[0]}"'}, "/" + "/".join(parts))

    def _serve_bytes(self, request, content: bytes, headers: dict[str, str], raw_path: str):
        from starlette.responses import Response, StreamingResponse

        total = len(content)
        start, status = 0, 200
        range_header = request.headers.get("range")
        if range_header and request.method == "GET" and self._take_fault("GET", raw_path, ("norange",)):
            range_header = None  # a server that ignores Range and sends the whole file with 200
        if range_header and request.method == "GET":
            spec = range_header.split("=", 1)[1]
            first, _, last = spec.partition("-")
            start = int(first)
            end = int(last) if last else total - 1
            if start >= total:
                return Response(status_code=416, headers={"Content-Range": f"bytes */{total}"})
            content = content[start:end + 1]
            status = 206
            headers = {**headers, "Content-Range": f"bytes {start}-{start + len(content) - 1}/{total}"}
        headers = {**headers, "Content-Length": str(len(content))}
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        if self._take_fault("GET", raw_path, ("corrupt",)) is not None:
            content = bytes([content[0] ^ 0xFF]) + content[1:]
        fault = self._take_fault("GET", raw_path, ("cut",))
        if fault is not None:
            head = content[:fault.after_bytes]

            async def truncated():
                yield head
                raise ConnectionAbortedError("fake hub: connection cut on purpose")

            return StreamingResponse(truncated(), status_code=status, headers=headers)
        return Response(content, status_code=status, headers=headers)

    # --- API ---------------------------------------------------------------------------------

    async def _api(self, request, parts: list[str]):
        from starlette.responses import JSONResponse

        if parts == ["whoami-v2"]:
            user = self._user(request)
            if user is None:
                raise _HubError(401, "Invalid credentials in Authorization header", code=None)
            return JSONResponse({"type": "user", "name": user, "fullname": user.title(), "orgs": [],
                                 "auth": {"type": "access_token", "accessToken": {"role": "write"}}})
        if parts == ["repos", "create"] and request.method == "POST":
            return await self._create_repo(request)
        if parts == ["repos", "delete"] and request.method == "DELETE":
            body = await request.json()
            user = self._user(request)
            if user is None:
                raise _HubError(401, "Invalid credentials in Authorization header", code=None)
            repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
            if self.repos.pop((body.get("type") or "model", repo_id), None) is None:
                raise _HubError(404, "Repository not found", code="RepoNotFound")
            return JSONResponse({})
        if not parts or parts[0] not in ("models", "datasets", "spaces"):
            raise _HubError(404, "Not found")
        repo_type = parts[0][:-1]
        rest = parts[1:]
        for marker in ("revision", "tree", "preupload", "commit"):
            for length in (2, 1):
                if len(rest) > length and rest[length] == marker:
                    repo_id = "/".join(rest[:length])
                    tail = rest[length + 1:]
                    return await self._repo_api(request, repo_type, repo_id, marker, tail)
        if 1 <= len(rest) <= 2:
            return await self._repo_api(request, repo_type, "/".join(rest), "revision", ["main"])
        raise _HubError(404, "Not found")

    async def _repo_api(self, request, repo_type: str, repo_id: str, action: str, tail: list[str]):
        from starlette.responses import JSONResponse

        revision = tail[0] if tail else "main"
        query = parse_qs(request.url.query)
        if action == "revision":
            repo = self._repo(request, repo_type, repo_id)
            commit = self._commit_of(repo, revision)
            blobs = query.get("blobs", ["false"])[0].lower() in ("true", "1")
            siblings = []
            for path, entry in sorted(repo.commits[commit].items()):
                sibling = {"rfilename": path}
                if blobs:
                    sibling.update(size=len(entry.content), blobId=entry.blob_id)
                    if entry.lfs:
                        sibling["lfs"] = {"size": len(entry.content), "sha256": entry.sha256,
                                          "pointerSize": len(lfs_pointer(entry.content))}
                siblings.append(sibling)
            return JSONResponse({"_id": repo_id, "id": repo_id, "sha": commit, "private": repo.private,
                                 "gated": "auto" if repo.gated else False, "disabled": False, "tags": [],
                                 "lastModified": "2024-01-01T00:00:00.000Z", "siblings": siblings})
        if action == "tree":
            repo = self._repo(request, repo_type, repo_id)
            commit = self._commit_of(repo, revision)
            prefix = "/".join(tail[1:])
            entries, folders = [], set()
            for path, entry in sorted(repo.commits[commit].items()):
                if prefix and not path.startswith(prefix + "/"):
                    continue
                item = {"type": "file", "oid": entry.blob_id, "size": len(entry.content), "path": path}
                if entry.lfs:
                    item["lfs"] = {"oid": entry.sha256, "size": len(entry.content),
                                   "pointerSize": len(lfs_pointer(entry.content))}
                entries.append(item)
                pieces = path.split("/")[:-1]
                for depth in range(1, len(pieces) + 1):
                    folders.add("/".join(pieces[:depth]))
            for folder in sorted(folders):
                if not prefix or folder.startswith(prefix + "/"):
                    entries.append({"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(),
                                    "size": 0, "path": folder})
            return JSONResponse(entries)
        if action == "preupload":
            repo = self._repo(request, repo_type, repo_id, write=True)
            body = await request.json()
            tree = repo.commits.get(repo.refs.get(revision, ""), {})
            files = []
            for item in body["files"]:
                sample = base64.b64decode(item["sample"])
                lfs = item["path"].endswith(LFS_SUFFIXES) or item["size"] >= self.lfs_threshold or b"\0" in sample
                existing = tree.get(item["path"])
                oid = None if existing is None else (existing.sha256 if existing.lfs else existing.blob_id)
                files.append({"path": item["path"], "uploadMode": "lfs" if lfs else "regular",
                              "shouldIgnore": False, "oid": oid})
            return JSONResponse({"files": files, "commitOid": repo.refs.get(revision)})
        if action == "commit":
            return await self._commit(request, repo_type, repo_id, unquote(revision))
        raise _HubError(404, "Not found")

    async def _create_repo(self, request):
        from starlette.responses import JSONResponse

        user = self._user(request)
        if user is None:
            raise _HubError(401, "Invalid credentials in Authorization header", code=None)
        body = await request.json()
        repo_type = body.get("type") or "model"
        repo_id = f"{body['organization'] or user}/{body['name']}" if body.get("organization") is not None \
            else f"{user}/{body['name']}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.endpoint}/{prefix}{repo_id}"
        if (repo_type, repo_id) in self.repos:
            return JSONResponse({"error": "You already created this model repo", "url": url}, status_code=409)
        repo = Repo(repo_type=repo_type, repo_id=repo_id, private=body.get("visibility") == "private")
        self.repos[(repo_type, repo_id)] = repo
        sha = self._commit_sha(None, {}, "initial commit")
        repo.commits[sha] = {}
        repo.refs["main"] = sha
        return JSONResponse({"url": url, "name": repo_id, "id": repo_id})

    async def _commit(self, request, repo_type: str, repo_id: str, revision: str):
        from starlette.responses import JSONResponse

        repo = self._repo(request, repo_type, repo_id, write=True)
        if request.headers.get("content-type", "").split(";")[0] != "application/x-ndjson":
            raise _HubError(400, "commit payload must be application/x-ndjson")
        lines = [json.loads(line) for line in (await request.body()).decode().splitlines() if line.strip()]
        self.commit_payloads.append(lines)
        header = lines[0]
        if header.get("key") != "header":
            raise _HubError(400, "first NDJSON line must be the header")
        create_pr = parse_qs(request.url.query).get("create_pr", ["0"])[0] == "1"
        if revision not in repo.refs and revision not in repo.commits:
            raise _HubError(404, f"Invalid rev id: {revision}", code="RevisionNotFound")
        parent = self._commit_of(repo, revision)
        parent_commit = header["value"].get("parentCommit")
        if parent_commit is not None and parent_commit != parent:
            raise _HubError(412, "A commit has happened since. Please refresh and try again.")
        tree = dict(repo.commits[parent])
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file":
                tree[value["path"]] = FileEntry(base64.b64decode(value["content"]), False)
            elif key == "lfsFile":
                content = self.lfs_objects.get(value["oid"])
                if content is None:
                    raise _HubError(422, f"LFS object {value['oid']} was not uploaded before the commit")
                tree[value["path"]] = FileEntry(content, True)
            elif key == "deletedFile":
                if value["path"] not in tree:
                    raise _HubError(404, "A file with this name doesn't exist", code="EntryNotFound")
                del tree[value["path"]]
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                for path in [p for p in tree if p.startswith(folder)]:
                    del tree[path]
            else:
                raise _HubError(400, f"unknown commit operation {key!r}")
        sha = self._commit_sha(parent, tree, header["value"].get("summary", ""))
        repo.commits[sha] = tree
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        pr_url = None
        if create_pr:
            repo.pr_count += 1
            repo.refs[f"refs/pr/{repo.pr_count}"] = sha
            pr_url = f"{self.endpoint}/{prefix}{repo_id}/discussions/{repo.pr_count}"
        else:
            repo.refs[revision] = sha
        return JSONResponse({"commitUrl": f"{self.endpoint}/{prefix}{repo_id}/commit/{sha}", "commitOid": sha,
                             "pullRequestUrl": pr_url, "success": True})

    async def _lfs_batch(self, request, raw_path: str):
        from starlette.responses import JSONResponse

        path = unquote(raw_path.strip("/"))[: -len(".git/info/lfs/objects/batch")]
        repo_type = "model"
        if path.startswith(("datasets/", "spaces/")):
            repo_type, path = path.split("/", 1)
            repo_type = repo_type[:-1]
        self._repo(request, repo_type, path, write=True)
        body = await request.json()
        if body.get("operation") != "upload" or body.get("hash_algo", "sha256") != "sha256":
            raise _HubError(400, "only sha256 uploads are supported")
        objects = []
        for item in body["objects"]:
            entry = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            if item["oid"] not in self.lfs_objects:
                entry["actions"] = {
                    "upload": {"href": f"{self.endpoint}/__lfs/{item['oid']}/{item['size']}"},
                    "verify": {"href": f"{self.endpoint}/__lfs/verify", "header": {}},
                }
            objects.append(entry)
        return JSONResponse({"transfer": "basic", "objects": objects},
                            media_type="application/vnd.git-lfs+json")

    async def _lfs_object(self, request, parts: list[str]):
        from starlette.responses import JSONResponse, Response

        if parts == ["verify"] and request.method == "POST":
            body = await request.json()
            if body["oid"] not in self.lfs_objects:
                raise _HubError(404, "object not uploaded")
            return JSONResponse({"ok": True})
        if request.method == "PUT" and len(parts) == 2:
            oid, size = parts[0], int(parts[1])
            content = await request.body()
            if hashlib.sha256(content).hexdigest() != oid or len(content) != size:
                raise _HubError(400, "uploaded content does not match its oid/size")
            self.lfs_objects[oid] = content
            return Response(status_code=200)
        raise _HubError(404, "Not found")


class _HubError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}

    def response(self):
        from starlette.responses import JSONResponse

        headers = dict(self.headers)
        headers["X-Error-Message"] = self.message
        if self.code:
            headers["X-Error-Code"] = self.code
        return JSONResponse({"error": self.message}, status_code=self.status, headers=headers)


def download_worker(args: tuple) -> str:
    """Run in a child process: download one file with embrace and return the path (for concurrency tests)."""
    repo_id, filename, cache_dir, endpoint = args
    from embrace.hub import hf_hub_download

    return hf_hub_download(repo_id, filename, cache_dir=cache_dir, endpoint=endpoint)


try:
    import pytest
except ImportError:  # the benchmark imports this module without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="module")
    def hub_server():
        """One fake hub per test module (state is reset for each test by the ``hub`` fixture)."""
        with FakeHub() as server:
            yield server

    @pytest.fixture
    def hub(hub_server, monkeypatch):
        """The fake hub, emptied, with the environment pointing at it: online, no token, no retry delay."""
        hub_server.reset()
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN",
                     "HF_HUB_ETAG_TIMEOUT", "HF_HUB_DISABLE_IMPLICIT_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HF_ENDPOINT", hub_server.endpoint)
        monkeypatch.setenv("EMBRACE_HUB_RETRY_DELAY", "0")
        yield hub_server
        hub_server.reset()

    @pytest.fixture
    def reference(hub, monkeypatch):
        """huggingface_hub, online and without Xet, for comparisons against the same fake hub."""
        import huggingface_hub
        import huggingface_hub.constants as ref_constants
        import huggingface_hub.errors  # noqa: F401  (so `reference.errors` is there)
        import huggingface_hub.file_download  # noqa: F401

        monkeypatch.setattr(ref_constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(ref_constants, "HF_HUB_DISABLE_XET", True)
        monkeypatch.setattr(ref_constants, "HF_HUB_DISABLE_PROGRESS_BARS", True)
        # ENDPOINT stays as frozen at import (its URL template was built from it); tests pass endpoint=.
        # The reference's retries sleep 1-8 s: make its backoff instant, like EMBRACE_HUB_RETRY_DELAY=0.
        import time
        import types

        import huggingface_hub.utils._http as ref_http

        instant = types.SimpleNamespace(sleep=lambda seconds: None, time=time.time, monotonic=time.monotonic)
        monkeypatch.setattr(ref_http, "time", instant)
        monkeypatch.setattr(huggingface_hub.file_download, "time", instant)
        return huggingface_hub


def tree_of(folder) -> dict[str, str]:
    """Every entry under ``folder``: relative path -> 'dir', 'link:<target>' or 'file:<sha256>'."""
    import os
    from pathlib import Path

    result = {}
    root = Path(folder)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            result[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            result[rel] = "dir"
        elif path.name == "CACHEDIR.TAG":  # only the signature line is standard; the comment names the tool
            result[rel] = "tag:" + path.read_text().splitlines()[0]
        else:
            result[rel] = "file:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def serve_forever(files_spec: list[tuple[str, str, dict[str, bytes]]], port_queue) -> None:
    """Run a fake hub until killed (for benchmarks in a separate process): puts its endpoint on the queue."""
    import time

    hub = FakeHub()
    for repo_type, repo_id, files in files_spec:
        hub.add_repo(repo_id, files, repo_type=repo_type)
    hub.start()
    port_queue.put(hub.endpoint)
    while True:
        time.sleep(3600)


__all__ = ["FakeHub", "Fault", "download_worker", "git_blob_sha1", "lfs_pointer", "quote", "serve_forever",
           "tree_of"]
