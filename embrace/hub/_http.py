"""HTTP plumbing of the hub client: the shared connection pool, request headers (token and
user-agent), bounded retries with backoff, progress bars, and the translation of hub error
responses into :mod:`embrace.errors`.

Nothing here opens a socket at import time; the client is created on the first request.
``httpx`` itself is imported lazily so that ``import embrace.hub`` stays cheap.

Retries are bounded: ``EMBRACE_HUB_MAX_TRIES`` attempts (default 5), waiting
``EMBRACE_HUB_RETRY_DELAY`` seconds (default 1) before the second one and doubling up to 8 s.

Example:
    >>> headers = build_hf_headers(token="hf_abc", library_name="mylib", library_version="1.0")
    >>> headers["authorization"]
    'Bearer hf_abc'
    >>> headers["user-agent"].startswith("mylib/1.0; embrace/")
    True
"""

from __future__ import annotations

import json
import logging
import os
import platform
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from embrace.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalTokenNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from embrace.hub import constants

if TYPE_CHECKING:  # pragma: no cover
    import httpx

logger = logging.getLogger("embrace.hub")

# Status codes worth another try: timeouts, rate limits and server-side failures.
RETRY_STATUS_CODES = (408, 429, 500, 502, 503, 504)
DOWNLOAD_CHUNK_SIZE = 1024 * 1024
_MAX_DELAY = 8.0
_MAX_REDIRECTS = 20


# --- settings read at call time -----------------------------------------------------------------


def max_tries() -> int:
    """How many attempts a retried request gets: ``$EMBRACE_HUB_MAX_TRIES``, default 5.

    Example:
        >>> max_tries() >= 1
        True
    """
    try:
        return max(1, int(os.environ.get("EMBRACE_HUB_MAX_TRIES", "5")))
    except ValueError:
        return 5


def retry_base_delay() -> float:
    """Seconds before the first retry (doubled each time, at most 8): ``$EMBRACE_HUB_RETRY_DELAY``, default 1.

    Example:
        >>> retry_base_delay() >= 0
        True
    """
    try:
        return max(0.0, float(os.environ.get("EMBRACE_HUB_RETRY_DELAY", "1")))
    except ValueError:
        return 1.0


def backoff_sleep(attempt: int) -> None:
    """Wait before retry number ``attempt`` (1-based): base delay times 2**(attempt-1), capped at 8 s."""
    delay = min(_MAX_DELAY, retry_base_delay() * (2 ** max(0, attempt - 1)))
    if delay > 0:
        time.sleep(delay)


def progress_bars_disabled() -> bool:
    """True when ``HF_HUB_DISABLE_PROGRESS_BARS`` or ``EMBRACE_DISABLE_PROGRESS_BARS`` is set to a true value.

    Example:
        >>> isinstance(progress_bars_disabled(), bool)
        True
    """
    return bool(constants.disable_progress_bars()) or constants._is_true(
        os.environ.get("EMBRACE_DISABLE_PROGRESS_BARS")
    )


def make_progress(*, total: int | None, desc: str, initial: int = 0, tqdm_class: Any = None, unit: str = "B") -> Any:
    """A tqdm bar (to stderr) that counts bytes, or a silent stand-in when progress bars are off."""
    if tqdm_class is not None:
        return tqdm_class(total=total, initial=initial, desc=desc, unit=unit, unit_scale=True, unit_divisor=1024)
    from tqdm.auto import tqdm

    if len(desc) > 40:
        desc = f"(…){desc[-40:]}"
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit=unit,
        unit_scale=unit == "B",
        unit_divisor=1024,
        disable=progress_bars_disabled(),
        leave=True,
    )


# --- headers ------------------------------------------------------------------------------------


def get_token_to_send(token: bool | str | None) -> str | None:
    """The token a request carries: a string as given, ``False`` -> none, ``True`` -> the stored one (required),
    ``None`` -> the stored one unless ``HF_HUB_DISABLE_IMPLICIT_TOKEN`` is set.

    Example:
        >>> get_token_to_send("hf_x"), get_token_to_send(False)
        ('hf_x', None)
    """
    if isinstance(token, str):
        return token
    if token is False:
        return None
    if token is True:
        stored = constants.get_token()
        if stored is None:
            raise LocalTokenNotFoundError(
                "token=True was passed but no token is set. Set the HF_TOKEN environment variable, "
                f"write the token to {constants.hf_token_path()}, or pass token='hf_...'."
            )
        return stored
    if constants._is_true(os.environ.get("HF_HUB_DISABLE_IMPLICIT_TOKEN")):
        return None
    return constants.get_token()


def _package_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


_UA_CACHE: dict[str, str] = {}


def _base_user_agent() -> str:
    cached = _UA_CACHE.get("base")
    if cached is None:
        from embrace import __version__

        cached = f"embrace/{__version__}; python/{platform.python_version()}"
        _UA_CACHE["base"] = cached
    if not constants._is_true(os.environ.get("HF_HUB_DISABLE_TELEMETRY")):
        torch_version = _UA_CACHE.get("torch")
        if torch_version is None:
            torch_version = _UA_CACHE["torch"] = _package_version("torch") or ""
        if torch_version:
            return f"{cached}; torch/{torch_version}"
    return cached


def http_user_agent(
    *, library_name: str | None = None, library_version: str | None = None, user_agent: dict | str | None = None
) -> str:
    """The user-agent string: ``<library>/<version>; embrace/<v>; python/<v>; torch/<v>[; extra]``.

    Example:
        >>> http_user_agent(user_agent={"pipeline": "fill-mask"}).endswith("pipeline/fill-mask")
        True
    """
    agent = f"{library_name}/{library_version}" if library_name is not None else "unknown/None"
    agent += "; " + _base_user_agent()
    if isinstance(user_agent, dict):
        agent += "; " + "; ".join(f"{key}/{value}" for key, value in user_agent.items())
    elif isinstance(user_agent, str):
        agent += "; " + user_agent
    origin = os.environ.get("HF_HUB_USER_AGENT_ORIGIN")
    if origin:
        agent += "; origin/" + origin
    # drop repeated entries, keeping the first occurrence
    return "; ".join(dict.fromkeys(part.strip() for part in agent.split(";")))


def build_hf_headers(
    *,
    token: bool | str | None = None,
    library_name: str | None = None,
    library_version: str | None = None,
    user_agent: dict | str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """Headers for a hub request: ``user-agent`` and, when there is a token, ``authorization: Bearer <token>``.

    ``headers`` are added last and win over the generated ones.

    Example:
        >>> build_hf_headers(token=False, headers={"x-extra": "1"})["x-extra"]
        '1'
        >>> "authorization" in build_hf_headers(token=False)
        False
    """
    result = {"user-agent": http_user_agent(library_name=library_name, library_version=library_version,
                                            user_agent=user_agent)}
    token_to_send = get_token_to_send(token)
    if token_to_send is not None:
        result["authorization"] = f"Bearer {token_to_send}"
    if headers:
        result.update(headers)
    return result


# --- the client ---------------------------------------------------------------------------------

_client_lock = threading.Lock()
_client: "httpx.Client | None" = None
_client_pid: int | None = None


def get_client() -> "httpx.Client":
    """The process-wide ``httpx.Client`` (a keep-alive pool shared by threads; a fresh one after ``fork``)."""
    global _client, _client_pid
    with _client_lock:
        if _client is None or _client_pid != os.getpid():
            import httpx

            _client = httpx.Client(
                timeout=httpx.Timeout(constants.DEFAULT_DOWNLOAD_TIMEOUT),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                follow_redirects=False,
            )
            _client_pid = os.getpid()
        return _client


def close_client() -> None:
    """Close the shared client (its connections); the next request opens a new one."""
    global _client
    with _client_lock:
        if _client is not None and _client_pid == os.getpid():
            _client.close()
        _client = None


def retryable_exceptions() -> tuple[type[BaseException], ...]:
    """Transport failures worth another try (connection refused/reset, timeouts, truncated bodies)."""
    import httpx

    return (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` means the hub could not be reached (as opposed to an answer from it)."""
    import httpx

    return isinstance(error, httpx.TransportError) and not isinstance(error, httpx.ProxyError)


def _timeout(seconds: float | None) -> Any:
    import httpx

    return httpx.Timeout(seconds) if seconds is not None else httpx.Timeout(None)


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: Any = None,
    json_body: Any = None,
    content: Any = None,
    timeout: float | None = None,
    retry: bool = True,
    follow_redirects: bool = False,
) -> "httpx.Response":
    """One HTTP request, retried on connection errors and 408/429/5xx when ``retry`` is True.

    The response is returned as is (errors are not raised here; see :func:`hf_raise_for_status`).
    After the last try the transport error is re-raised, or the last error response returned.
    File-like ``content`` is rewound before each try.
    """
    client = get_client()
    tries = max_tries() if retry else 1
    rewind = content.tell() if hasattr(content, "seek") and hasattr(content, "tell") else None
    attempt = 0
    while True:
        attempt += 1
        if rewind is not None:
            content.seek(rewind)
        try:
            response = client.request(
                method,
                url,
                headers=headers,
                params=params,
                json=json_body,
                content=content,
                timeout=_timeout(timeout),
                follow_redirects=follow_redirects,
            )
        except retryable_exceptions() as error:
            if attempt >= tries:
                raise
            logger.warning("%s %s failed (%s); retrying (%d/%d).", method, url, error, attempt, tries - 1)
        else:
            if response.status_code not in RETRY_STATUS_CODES or attempt >= tries:
                return response
            logger.warning("%s %s answered %d; retrying (%d/%d).", method, url, response.status_code, attempt,
                           tries - 1)
            response.close()
        backoff_sleep(attempt)


@contextmanager
def stream(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    follow_redirects: bool = True,
) -> Iterator["httpx.Response"]:
    """A streamed response (body read by the caller); no retry here, the caller resumes."""
    client = get_client()
    with client.stream(method, url, headers=headers, timeout=_timeout(timeout),
                       follow_redirects=follow_redirects) as response:
        yield response


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs share scheme, host and port (so credentials may follow a redirect).

    Example:
        >>> same_origin("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b")
        True
        >>> same_origin("http://h/a", "http://h:81/a")
        False
    """
    def origin(value: str) -> tuple[str, str, int]:
        parsed = urlparse(value)
        port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
        return parsed.scheme, (parsed.hostname or "").lower(), port

    return origin(url) == origin(other)


# --- errors -------------------------------------------------------------------------------------

_REQUEST_ID_HEADERS = (("x-request-id", "Request ID"), ("x-amzn-trace-id", "Amzn Trace ID"),
                       ("x-amz-cf-id", "Amz CF ID"))


def _is_repo_url(url: str) -> bool:
    """A repo API URL (``/api/{models,datasets,spaces}/...``) or a file URL (``.../resolve/...``)."""
    path = urlparse(url).path
    return path.startswith(("/api/models/", "/api/datasets/", "/api/spaces/")) or "/resolve/" in path


def server_message(response: "httpx.Response") -> str:
    """What the server said about an error: ``X-Error-Message`` and the JSON ``error``/``errors`` fields
    (or the plain-text body), deduplicated, one per line."""
    messages: list[str] = []
    header = response.headers.get("X-Error-Message")
    if header:
        messages.append(header)
    try:
        response.read()
        text = response.text
    except Exception:  # a closed stream: keep what the headers said
        text = ""
    if text:
        try:
            data = json.loads(text)
        except ValueError:
            if "html" not in response.headers.get("Content-Type", "").lower():
                messages.append(text)
        else:
            if isinstance(data, dict):
                error = data.get("error")
                description = data.get("error_description")
                if isinstance(error, list):
                    messages.extend(str(item) for item in error)
                elif error is not None and description is not None:
                    messages.append(f"{error}: {description}")
                elif error is not None:
                    messages.append(str(error))
                elif description is not None:
                    messages.append(str(description))
                for item in data.get("errors") or []:
                    if isinstance(item, dict) and "message" in item:
                        messages.append(str(item["message"]))
    cleaned = [line.strip() for line in messages if str(line).strip()]
    return "\n".join(dict.fromkeys(cleaned))


def _make_error(error_type: type[Exception], message: str, response: "httpx.Response") -> Exception:
    said = server_message(response)
    if said and said.lower() not in message.lower():
        message = f"{message}\n{said}" if "\n\n" in message else f"{message}\n\n{said}"
    for header, label in _REQUEST_ID_HEADERS:
        value = response.headers.get(header)
        if value and value.lower() not in message.lower():
            first, sep, rest = message.partition("\n")
            message = f"{first} ({label}: {value}){sep}{rest}"
            break
    if issubclass(error_type, HfHubHTTPError):
        error = error_type(message.strip(), status_code=response.status_code)
    else:
        error = error_type(message.strip())
        error.status_code = response.status_code  # type: ignore[attr-defined]
    error.response = response  # type: ignore[attr-defined]
    error.server_message = said or None  # type: ignore[attr-defined]
    return error


def hf_raise_for_status(response: "httpx.Response", endpoint_name: str | None = None) -> None:
    """Raise the embrace error matching a failed hub response; return quietly for 1xx-3xx.

    ``X-Error-Code`` decides first (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``,
    ``GatedRepo``); a 401 on a repo URL means "not found or not allowed" (the hub hides private
    repos); 400/403/429/416 and anything else become ``HfHubHTTPError`` with the server's message.
    """
    status = response.status_code
    if status < 400:
        return
    code = response.headers.get("X-Error-Code")
    header_message = response.headers.get("X-Error-Message")
    url = str(response.request.url) if response.request is not None else "<unknown url>"

    if code == "RevisionNotFound":
        raise _make_error(
            RevisionNotFoundError,
            f"{status} Client Error.\n\nRevision Not Found for url: {url}.\n"
            "Check the branch, tag or commit hash you passed as `revision`.",
            response,
        )
    if code == "EntryNotFound":
        raise _make_error(
            EntryNotFoundError,
            f"{status} Client Error.\n\nEntry Not Found for url: {url}.\n"
            "The repository and revision exist but have no such file: check the file name and subfolder.",
            response,
        )
    if code == "GatedRepo":
        raise _make_error(
            GatedRepoError,
            f"{status} Client Error.\n\nCannot access gated repo for url {url}.\n"
            "Accept the repository's conditions on its page, then pass a token of that account (HF_TOKEN or token=).",
            response,
        )
    if header_message == "Access to this resource is disabled.":
        raise _make_error(
            HfHubHTTPError,
            f"{status} Client Error.\n\nCannot access repository for url {url}.\nAccess to this resource is disabled.",
            response,
        )
    if code == "RepoNotFound" or (
        status == 401 and header_message != "Invalid credentials in Authorization header" and _is_repo_url(url)
    ):
        raise _make_error(
            RepositoryNotFoundError,
            f"{status} Client Error.\n\nRepository Not Found for url: {url}.\n"
            "Please make sure you specified the correct `repo_id` and `repo_type`.\n"
            "If you are trying to access a private or gated repo, make sure you are authenticated and your token "
            "has the required permissions (set HF_TOKEN or pass token=).",
            response,
        )
    if status == 400:
        where = f" for {endpoint_name} endpoint" if endpoint_name else ""
        raise _make_error(HfHubHTTPError, f"\n\nBad request{where}:", response)
    if status == 403:
        raise _make_error(
            HfHubHTTPError,
            f"\n\n403 Forbidden: {header_message}.\nCannot access content at: {url}.\n"
            "Make sure your token has the correct permissions.",
            response,
        )
    if status == 429:
        raise _make_error(HfHubHTTPError, f"\n\n429 Too Many Requests for url: {url}.", response)
    if status == 416:
        raise _make_error(
            HfHubHTTPError,
            f"416 Range Not Satisfiable for url: {url}. Requested range: {response.request.headers.get('Range')}. "
            f"Content-Range: {response.headers.get('Content-Range')}.",
            response,
        )
    kind = "Client Error" if status < 500 else "Server Error"
    raise _make_error(HfHubHTTPError, f"{status} {kind}: {response.reason_phrase} for url: {url}", response)
