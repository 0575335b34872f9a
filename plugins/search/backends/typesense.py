"""The Typesense backend (official ``typesense`` client, async): typo tolerance, prefix, facets, geo; aliases swap."""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import typesense
from typesense import exceptions as ts_errors

from core import clock
from core.hooks import plugin_settings
from plugins.search import SearchSettings, documents, text, typesense_nodes
from plugins.search.backends import BackendDown, DirectoryFound, EventFound, Features
from plugins.search.documents import DirectoryDoc, EventDoc
from plugins.search.query import EventQuery
from plugins.search.schemas import DirectoryHit, EventHit, FacetCount

log = logging.getLogger("plugins.search")

EVENT_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "string", "locale": ""},
    {"name": "stems", "type": "string"},
    {"name": "tags", "type": "string[]", "facet": True},
    {"name": "category", "type": "string", "facet": True},
    {"name": "city", "type": "string", "facet": True},
    {"name": "venue_name", "type": "string"},
    {"name": "author_id", "type": "int32"},
    {"name": "starts_at", "type": "int64"},
    {"name": "ends_at", "type": "int64"},
    {"name": "timezone", "type": "string", "index": False, "optional": True},
    {"name": "location", "type": "geopoint", "optional": True},
    {"name": "online", "type": "bool", "facet": True},
    {"name": "price", "type": "string", "facet": True},
    {"name": "price_cents", "type": "int32", "optional": True},
    {"name": "seats", "type": "string", "facet": True},
    {"name": "seats_left", "type": "int32", "optional": True},
    {"name": "rating", "type": "float"},
    {"name": "rated", "type": "float", "optional": True},
    {"name": "joined", "type": "int32"},
]
DIRECTORY_FIELDS: list[dict[str, Any]] = [
    {"name": "kind", "type": "string", "facet": True},
    {"name": "ref_id", "type": "int32"},
    {"name": "title", "type": "string"},
    {"name": "subtitle", "type": "string"},
    {"name": "city", "type": "string"},
    {"name": "tags", "type": "string[]"},
    {"name": "stems", "type": "string"},
    {"name": "location", "type": "geopoint", "optional": True},
    {"name": "weight", "type": "int32"},
]
QUERY_BY, QUERY_WEIGHTS = "title,stems,tags,venue_name,city", "4,2,2,1,1"
SORT = {"relevance": "_text_match:desc,starts_at:asc", "date": "starts_at:asc", "rating": "rating:desc,starts_at:asc"}
TERMS = ("category", "tags", "city", "price", "online", "seats")
FIXED = {"price": ("free", "paid"), "online": ("true", "false"), "seats": ("available", "full")}
ONLINE = {"true": "online", "false": "in_person"}
_FAILURES = (ts_errors.TypesenseClientError, httpx.HTTPError, OSError)  # down, slow, 5xx, or missing collection


def client_config(settings: SearchSettings, *, timeout_s: float | None = None) -> dict[str, Any]:
    """The client's configuration: every node of the cluster, no retries on one node (fall back at once)."""
    nodes = []
    for url in typesense_nodes(settings):
        parts = urlsplit(url)
        nodes.append({"host": parts.hostname, "port": parts.port or (443 if parts.scheme == "https" else 80),
                      "protocol": parts.scheme})
    return {"nodes": nodes, "api_key": settings.typesense_api_key,
            "connection_timeout_seconds": timeout_s or settings.timeout_s, "num_retries": max(len(nodes) - 1, 0),
            "retry_interval_seconds": 0.05, "healthcheck_interval_seconds": 15,
            "suppress_deprecation_warnings": True}


def alias(kind: str) -> str:
    """The alias searches go to (``<collection>_events``, ``<collection>_directory``)."""
    return f"{plugin_settings(SearchSettings).collection}_{kind}"


def event_filter(q: EventQuery) -> str:
    """The ``filter_by`` of a query. Values are checked by the parameters' patterns and quoted in backticks.

    No ``ends_at`` condition: a range matching nearly every document costs Typesense 0.24 ~30 ms on 100 000 of
    them. Ended events leave the index within about a minute (the finisher's ``event_finished``, then the outbox;
    ``search.prune`` hourly) and any still there are dropped from the page.
    """
    parts: list[str] = []
    if q.category:
        parts.append(f"category:=`{q.category}`")
    parts += [f"tags:=`{t}`" for t in q.tags]
    if q.city:
        parts.append(f"city:=`{q.city}`")
    if q.window:
        parts.append(f"starts_at:>={int(q.window[0].timestamp())} && starts_at:<{int(q.window[1].timestamp())}")
    if q.price:
        parts.append(f"price:={q.price}")
    if q.online is not None:
        parts.append(f"online:={'true' if q.online else 'false'}")
    if q.has_seats is not None:
        parts.append(f"seats:={'available' if q.has_seats else 'full'}")
    if q.near is not None and q.radius_km is not None:
        parts.append(f"location:({q.near[0]:.6f}, {q.near[1]:.6f}, {q.radius_km:g} km)")
    return " && ".join(parts)


def _hit(h: dict[str, Any], near: bool) -> EventHit:
    d = h["document"]
    loc = d.get("location") or [None, None]
    distance = h.get("geo_distance_meters", {}).get("location") if near else None
    return EventHit(int(d["id"]), d["title"], datetime.fromtimestamp(d["starts_at"], UTC),
                    datetime.fromtimestamp(d["ends_at"], UTC), d.get("timezone", "UTC"), d["tags"],
                    d["category"] or None, d["city"], d["venue_name"], d["online"], d.get("price_cents"),
                    d.get("seats_left"), loc[0], loc[1], d.get("rated"),
                    None if distance is None else round(distance / 1000.0, 3))


class TypesenseBackend:
    """Typesense through its official async client; one client per event loop (its HTTP pool is bound to it)."""

    name = "typesense"
    features = Features(typo_tolerance=True)

    def __init__(self, settings: SearchSettings | None = None) -> None:
        self.settings = settings or plugin_settings(SearchSettings)
        self._clients: dict[int, Any] = {}  # typesense.AsyncClient (its TypedDicts are stricter than its API)

    def client(self) -> Any:
        """This event loop's client."""
        loop = id(asyncio.get_running_loop())
        found = self._clients.get(loop)
        if found is None:
            with warnings.catch_warnings():  # 2.x warns of its v30+ analytics API at construction; not ours to fix
                warnings.simplefilter("ignore", DeprecationWarning)
                found = typesense.AsyncClient(client_config(self.settings))  # type: ignore[arg-type]
            self._clients[loop] = found
        return found

    def coll(self, name: str) -> Any:
        """A collection handle (the 2.x client warns of its v30+ APIs when one is made; not ours to fix)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.client().collections[name]

    async def call(self, what: str, coro: Any) -> Any:
        """Await a client call; connection failures, timeouts and 5xx become :class:`BackendDown`."""
        try:
            return await coro
        except ts_errors.ObjectNotFound:
            if what in ("alias", "drop"):
                raise
            raise BackendDown(f"typesense {what}: the collection is missing (run `manage.py search reindex`)") from None
        except _FAILURES as exc:
            raise BackendDown(f"typesense {what}: {type(exc).__name__}: {exc}") from exc

    async def search_events(self, q: EventQuery, synonyms: dict[str, set[str]]) -> EventFound:
        """One multi-search: the page with its facets, plus one count per date bucket when asked."""
        base = {"collection": alias("events"), "q": " ".join(text.stem(w) for w in q.words) or "*",
                "query_by": QUERY_BY, "query_by_weights": QUERY_WEIGHTS, "filter_by": event_filter(q),
                "num_typos": 2, "prefix": True, "exclude_fields": "stems", "highlight_fields": "title",
                "highlight_full_fields": "title"}
        main = {**base, "page": q.offset // q.limit + 1, "per_page": q.limit}
        if q.offset % q.limit:  # the page size changed between pages: read from the start of this page
            main.update(page=1, per_page=min(q.offset + q.limit, 250))
        if q.near is not None and q.sort in ("distance", "relevance"):
            geo = f"location({q.near[0]:.6f}, {q.near[1]:.6f}):asc"
            main["sort_by"] = geo if q.sort == "distance" else f"_text_match:desc,{geo}"
        else:
            main["sort_by"] = SORT.get(q.sort, SORT["date"])
        terms = [f for f in q.facets if f in TERMS]
        if terms:
            main.update(facet_by=",".join(terms), max_facet_values=20)
        searches = [main]
        if "date" in q.facets:
            for lo, hi in q.buckets.values():
                window = f"starts_at:>={int(lo.timestamp())} && starts_at:<{int(hi.timestamp())}"
                searches.append({**base, "per_page": 0,
                                 "filter_by": f"{base['filter_by']} && {window}" if base["filter_by"] else window})
        answer = await self.call("search", self.client().multi_search.perform({"searches": searches}, {}))
        results = answer["results"]
        for r in results:
            if "error" in r:
                raise BackendDown(f"typesense search: {r.get('code')}: {r['error']}")
        first = results[0]
        hits = [hit for h in first.get("hits", []) if (hit := _hit(h, q.near is not None)).ends_at > q.now]
        if q.offset % q.limit:
            hits = hits[q.offset:]
        facets: dict[str, list[FacetCount]] = {}
        for fc in first.get("facet_counts", []):
            name = fc["field_name"]
            counts = [FacetCount(ONLINE.get(c["value"], c["value"]) if name == "online" else c["value"], c["count"])
                      for c in fc["counts"] if c["value"] not in ("", "unknown")]
            if name in FIXED:
                order = [ONLINE.get(v, v) for v in FIXED[name]]
                counts.sort(key=lambda c: order.index(c.value) if c.value in order else 99)
            facets[name] = counts
        if "date" in q.facets:
            facets["date"] = [FacetCount(k, r["found"]) for k, r in zip(q.buckets, results[1:], strict=True)
                              if r["found"]]
        return EventFound(hits, int(first.get("found", 0)), {f: facets.get(f, []) for f in q.facets})

    async def search_directory(self, words: list[str], kind: str | None, offset: int, limit: int,
                               synonyms: dict[str, set[str]]) -> DirectoryFound:
        """Groups, venues and organisers, typo-tolerant."""
        params: dict[str, Any] = {"q": " ".join(text.stem(w) for w in words) or "*",
                                  "query_by": "title,stems,tags,city", "sort_by": "_text_match:desc,weight:desc",
                                  "page": offset // limit + 1, "per_page": limit}
        if kind:
            params["filter_by"] = f"kind:={kind}"
        r = await self.call("search", self.coll(alias("directory")).documents.search(params))
        hits = [DirectoryHit(h["document"]["kind"], h["document"]["ref_id"], h["document"]["title"],
                             h["document"]["subtitle"], h["document"]["city"]) for h in r.get("hits", [])]
        return DirectoryFound(hits, int(r.get("found", 0)))

    async def _import(self, collection: str, docs: list[dict[str, Any]]) -> None:
        if not docs:
            return
        result = await self.call("import", self.coll(collection).documents.import_(
            docs, {"action": "upsert"}))
        failed = [r for r in result if not r.get("success")]
        if failed:
            raise BackendDown(f"typesense import: {len(failed)} failed, first: {failed[0]}")

    async def _delete(self, collection: str, ids: list[str]) -> None:
        if ids:
            quoted = ",".join(f"`{i}`" for i in ids)
            await self.call("delete", self.coll(collection).documents.delete(
                {"filter_by": f"id:[{quoted}]"}))

    async def put_events(self, docs: list[EventDoc], removed: list[int]) -> None:
        """Upsert and delete through the alias (the live collection)."""
        await self._delete(alias("events"), [str(i) for i in removed])
        await self._import(alias("events"), [documents.typesense_event(d) for d in docs])

    async def put_directory(self, docs: list[DirectoryDoc], removed: list[tuple[str, int]]) -> None:
        """Upsert and delete through the alias."""
        await self._delete(alias("directory"), [f"{k}-{i}" for k, i in removed])
        await self._import(alias("directory"), [documents.typesense_directory(d) for d in docs])

    async def set_synonyms(self, sets: list[list[str]], collection: str | None = None) -> None:
        """Replace the synonym sets of the live collection, each word also as its stem (queries are stemmed)."""
        target = collection or await self.live_collection("events")
        if target is None:
            return
        synonyms = self.coll(target).synonyms
        existing = await self.call("synonyms", synonyms.retrieve())
        for s in existing.get("synonyms", []):
            await self.call("synonyms", self.coll(target).synonyms[s["id"]].delete())
        for i, words in enumerate(sets):
            expanded = sorted({w for word in words for t in text.tokens(word) for w in (t, text.stem(t))})
            if len(expanded) > 1:
                await self.call("synonyms", synonyms.upsert(f"set-{i}", {"synonyms": expanded}))

    async def event_ids(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` the live collection holds."""
        if not ids:
            return set()
        r = await self.call("search", self.coll(alias("events")).documents.search({
            "q": "*", "filter_by": f"id:[{','.join(f'`{i}`' for i in ids)}]", "per_page": min(len(ids), 250),
            "include_fields": "id"}))
        return {int(h["document"]["id"]) for h in r.get("hits", [])}

    async def event_count(self) -> int:
        """How many live (not ended) events the live collection holds."""
        r = await self.call("count", self.coll(alias("events")).documents.search({
            "q": "*", "filter_by": f"ends_at:>{int(clock.now().timestamp())}", "per_page": 0}))
        return int(r["found"])

    # ---- collections and aliases (the reindex builds a new collection and swaps the alias) --------------------

    async def live_collection(self, kind: str) -> str | None:
        """The collection the alias points at, None when there is none yet."""
        try:
            r = await self.call("alias", self.client().aliases[alias(kind)].retrieve())
        except ts_errors.ObjectNotFound:
            return None
        return str(r["collection_name"])

    async def create_collection(self, kind: str, suffix: str) -> str:
        """A new, empty collection ``<alias>_<suffix>`` (not yet live)."""
        name = f"{alias(kind)}_{suffix}"
        fields = EVENT_FIELDS if kind == "events" else DIRECTORY_FIELDS
        schema: dict[str, Any] = {"name": name, "fields": fields, "token_separators": ["-"]}
        if kind == "events":
            schema["default_sorting_field"] = "starts_at"
        await self.call("create", self.client().collections.create(schema))
        return name

    async def import_into(self, collection: str, docs: list[dict[str, Any]]) -> None:
        """Bulk upsert into a collection that is not live yet."""
        await self._import(collection, docs)

    async def swap(self, kind: str, collection: str) -> str | None:
        """Point the alias at ``collection``; drop the collection it pointed at before (returned)."""
        old = await self.live_collection(kind)
        await self.call("alias", self.client().aliases.upsert(alias(kind), {"collection_name": collection}))
        if old and old != collection:
            try:
                await self.call("drop", self.coll(old).delete())
            except ts_errors.ObjectNotFound:
                pass
        return old

    async def ensure(self) -> None:
        """Create empty live collections on first use (a fresh server: the outbox can apply at once)."""
        for kind in ("events", "directory"):
            if await self.live_collection(kind) is None:
                await self.swap(kind, await self.create_collection(kind, "v1"))

    async def healthy(self) -> bool:
        """Whether the cluster answers its health check."""
        try:
            r = await self.call("health", self.client().operations.is_healthy())
        except BackendDown:
            return False
        return bool(r)

    async def close(self) -> None:
        """Close this loop's HTTP pool."""
        c = self._clients.pop(id(asyncio.get_running_loop()), None)
        if c is not None:
            await c.api_call.aclose()
