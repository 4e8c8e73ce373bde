"""The registry client's HTTP transport: httpcore with a deadline enforced at every socket
operation.

httpx only has per-operation timeouts, so a server that drips one byte just inside the read
timeout (in its headers or its body) keeps a request alive forever. Here each connect, read and
write gets at most the time left before the deadline of the request in progress (set with
`deadline()`), and fails once it has passed. Redirects followed by httpx share that deadline.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import httpcore
import httpx

_current = threading.local()


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Every socket operation of this thread inside the block ends `seconds` from now at the
    latest, or at an enclosing block's deadline if that comes first (None: no deadline of its
    own, only the per-operation timeouts and any enclosing deadline)."""
    previous = getattr(_current, "end", None)
    end = None if seconds is None else time.monotonic() + seconds
    _current.end = end if previous is None else previous if end is None else min(end, previous)
    try:
        yield
    finally:
        _current.end = previous


def _clipped(timeout: float | None) -> float | None:
    end = getattr(_current, "end", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clipped(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clipped(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _clipped(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _clipped(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _clipped(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# httpcore's exceptions as httpx's, most specific first, so callers see one hierarchy.
_EXCEPTIONS = [(getattr(httpcore, name), getattr(httpx, name)) for name in (
    "ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "ConnectError", "ReadError", "WriteError",
    "RemoteProtocolError", "LocalProtocolError", "UnsupportedProtocol", "ProxyError", "ProtocolError",
    "NetworkError", "TimeoutException")]


@contextmanager
def _as_httpx() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, mapped in _EXCEPTIONS:
            if isinstance(exc, core):
                raise mapped(str(exc) or type(exc).__name__) from exc
        raise


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx():
            yield from self._stream

    def close(self) -> None:
        with _as_httpx():
            self._stream.close()


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool whose sockets honour `deadline()`."""

    def __init__(self) -> None:
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=_DeadlineBackend())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port,
                             target=request.url.raw_path),
            headers=request.headers.raw, content=request.stream, extensions=request.extensions)
        with _as_httpx():
            response = self._pool.handle_request(core_request)
        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=_Body(response.stream), extensions=response.extensions)

    def close(self) -> None:
        with _as_httpx():
            self._pool.close()
