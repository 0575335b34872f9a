"""A local HTTP server that stands in for a maps vendor: it speaks the vendor's contract offline, and fails on demand.

The server keeps what the vendor "knows" (places by query, a route, suggestions) and a *renderer* turns that into
the vendor's own JSON for each request (``nominatim``, ``osrm`` here; adapters bring theirs, e.g. Yandex's). Tests
make it fail the ways vendors fail: a status with a ``Retry-After``, a 5 MB answer, a hang, swapped coordinates.
Every request it received is kept (method, path, decoded query), so a test can check what the adapter sent.

Used by the conformance kit, geo's tests and ``bench/geo.py`` (``python -m plugins.geo.standin --port P``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec

from plugins.geo.hookspecs import Place, Route, Suggestion


@dataclass
class Request:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Response:
    """What to answer: a status, a JSON-able body (or raw bytes) and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Renderer = Callable[["StandIn", Request], Response | Awaitable[Response]]
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class StandIn:
    """The server: ``await standin.start()`` gives ``standin.url``; set what the vendor knows; fail on demand.

    ``delay_s`` delays every answer (the benchmark's 50 ms vendor); ``synthetic`` answers any unknown query with a
    made-up place derived from the query (the benchmark's endless gazetteer).
    """

    def __init__(self, renderer: Renderer, *, delay_s: float = 0.0, synthetic: bool = False) -> None:
        self.renderer = renderer
        self.delay_s = delay_s
        self.synthetic = synthetic
        self.places: dict[str, list[Place]] = {}
        self.suggestions: dict[str, list[Suggestion]] = {}
        self.reverse_places: list[Place] = []  # what any reverse request finds
        self.route: Route | None = None
        self.swap = False  # render coordinates swapped (a vendor, or an adapter, getting the order wrong)
        self.requests: list[Request] = []
        self._failure: Response | None = None
        self._hang_s = 0.0
        self._huge: tuple[int, bool] | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    # What the vendor knows ---------------------------------------------------------------------------------------

    def lookup(self, query: str) -> list[Place]:
        """The places for a query as the vendor would find them (exact text, then synthetic when enabled)."""
        if query in self.places:
            return self.places[query]
        if self.synthetic and query:
            h = int.from_bytes(hashlib.blake2b(query.encode(), digest_size=8).digest(), "big")
            lat, lon = 55.55 + (h % 4000) / 10_000, 37.30 + (h // 4000 % 6000) / 10_000  # somewhere in Moscow
            return [Place(lat=lat, lon=lon, label=f"Россия, {query}", country_code="RU", city="Москва")]
        return []

    # Failing on demand -------------------------------------------------------------------------------------------

    def fail(self, status: int, *, retry_after: str | None = None, body: Any = None) -> None:
        """Answer every request with ``status`` (and ``Retry-After`` when given) until :meth:`reset`."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._failure = Response(status, body if body is not None else {"error": REASONS.get(status, "error")},
                                 headers)

    def hang(self, seconds: float) -> None:
        """Accept each request and answer nothing for ``seconds`` (then close)."""
        self._hang_s = seconds

    def huge(self, size: int = 5 * 1024 * 1024, *, declared: bool = False) -> None:
        """Answer ``size`` bytes of valid JSON, streamed in chunks (``declared``: with a Content-Length up front)."""
        self._huge = (size, declared)

    def reset(self) -> None:
        """Back to answering normally; forget the requests seen."""
        self._failure, self._hang_s, self._huge, self.swap = None, 0.0, None, False
        self.requests.clear()

    # The server --------------------------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1 (a free port unless given); returns the base URL."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        """Stop listening and cut every open connection (hanging ones included)."""
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                if request.path == "/_count":  # the benchmark asks how many calls reached the "vendor"
                    await _write(writer, Response(200, {"requests": len(self.requests)}))
                    continue
                self.requests.append(request)
                if self._hang_s:
                    await asyncio.sleep(self._hang_s)
                    break
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                if self._huge is not None:
                    await _write_huge(writer, *self._huge)
                    continue
                response = self._failure
                if response is None:
                    produced = self.renderer(self, request)
                    response = await produced if inspect.isawaitable(produced) else produced
                await _write(writer, response)
        except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if int(headers.get("content-length", "0") or 0):
        await reader.readexactly(int(headers["content-length"]))
    parts = urlsplit(target)
    return Request(method, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), headers)


async def _write(writer: asyncio.StreamWriter, response: Response) -> None:
    body = response.body if isinstance(response.body, bytes) else msgspec.json.encode(response.body)
    head = [f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Status')}",
            "Content-Type: application/json; charset=utf-8", f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in response.headers.items())]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


async def _write_huge(writer: asyncio.StreamWriter, size: int, declared: bool) -> None:
    item = b'{"lat":"55.7558","lon":"37.6173","display_name":"' + b"x" * 200 + b'"},'
    count = max(1, size // len(item))
    total = 2 + count * len(item) - 1
    if declared:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(total).encode() + b"\r\n\r\n[")
    else:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent = 0
    while sent < count:
        n = min(1000, count - sent)
        chunk = (b"[" if sent == 0 and not declared else b"") + item * n
        if sent + n == count:
            chunk = chunk[:-1] + b"]"
        writer.write(chunk if declared else f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        sent += n
        await writer.drain()
    if not declared:
        writer.write(b"0\r\n\r\n")
    await writer.drain()


# --------------------------------------------------------------------------------------------------------------------
# Renderers of the built-in providers' vendors
# --------------------------------------------------------------------------------------------------------------------


def _ll(standin: StandIn, lat: float, lon: float) -> tuple[float, float]:
    return (lon, lat) if standin.swap else (lat, lon)


def nominatim(standin: StandIn, request: Request) -> Response:
    """Nominatim's ``/search`` (a list) and ``/reverse`` (one place, or ``{"error": "Unable to geocode"}``)."""
    def doc(p: Place) -> dict[str, Any]:
        lat, lon = _ll(standin, p.lat, p.lon)
        address = {"city": p.city or "", "country_code": (p.country_code or "").lower()}
        return {"place_id": 1, "lat": f"{lat:.7f}", "lon": f"{lon:.7f}", "display_name": p.label,
                "addresstype": "house" if p.precision == "exact" else "city", "address": address,
                "licence": "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright"}

    if request.path.endswith("/search"):
        limit = int(request.query.get("limit", "10"))
        return Response(200, [doc(p) for p in standin.lookup(request.query.get("q", ""))[:limit]])
    if request.path.endswith("/reverse"):
        found = standin.reverse_places
        return Response(200, doc(found[0]) if found else {"error": "Unable to geocode"})
    return Response(404, {"error": "unknown endpoint"})


def osrm(standin: StandIn, request: Request) -> Response:
    """OSRM's ``/route/v1/{profile}/{lon},{lat};{lon},{lat}``: ``{"code": "Ok", "routes": [...]}`` or NoRoute (400)."""
    if not request.path.startswith("/route/v1/"):
        return Response(400, {"code": "InvalidUrl", "message": "URL string malformed"})
    route = standin.route
    if route is None:
        return Response(400, {"code": "NoRoute", "message": "Impossible route between points"})
    coords = [list(reversed(_ll(standin, lat, lon))) for lat, lon in route.line]  # [lon, lat] on the wire
    return Response(200, {"code": "Ok", "routes": [{"distance": route.distance_m, "duration": route.duration_s,
                                                    "geometry": {"type": "LineString", "coordinates": coords},
                                                    "legs": [], "weight": route.duration_s}],
                          "waypoints": []})


RENDERERS: dict[str, Renderer] = {"nominatim": nominatim, "osrm": osrm}


def main() -> None:
    """Run a stand-in until killed (the benchmark's vendor in a process of its own)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vendor", choices=sorted(RENDERERS), default="nominatim")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args()

    async def serve() -> None:
        standin = StandIn(RENDERERS[args.vendor], delay_s=args.delay_ms / 1000, synthetic=True)
        await standin.start(args.port)
        print(standin.url, flush=True)  # the parent reads the URL
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
