"""The query text "null": a search for the word where text fits, a 400 where it does not (never "not given")."""

from __future__ import annotations

from typing import Any

from tests.plugins.search.conftest import indexed


async def test_null_in_the_query_is_the_word_or_a_400(search_api: Any, event: Any, make_venue: Any) -> None:
    # Given a venue named with the word "null" and one without it
    named = await make_venue("Berlin", name="Null Pointer Bar")
    other = await make_venue("Berlin", name="Kulturhaus Mitte")
    await event("Poetry slam", venue=named)
    await event("Jazz night", venue=other)
    await indexed()
    api = await search_api()

    # When q is "null", it is searched as the text: the venue with the word is found, not everything
    r = await api.get("/api/v1/search/directory", params={"q": "null", "kind": "venue"})
    assert r.status_code == 200, r.text
    assert [(h["kind"], h["id"], h["title"]) for h in r.json()["items"]] == [("venue", named.id, "Null Pointer Bar")]
    r = await api.get("/api/v1/search/directory", params={"q": "null"})
    assert r.status_code == 200 and all("null" in h["title"].lower() for h in r.json()["items"])

    # When kind is "null", no kind fits that text: 400 invalid_parameter naming it, not "any kind"
    for params in ({"q": "bar", "kind": "null"}, {"q": "null", "kind": "null"}):
        r = await api.get("/api/v1/search/directory", params=params)
        assert r.status_code == 400, r.text
        problem = r.json()
        assert problem["code"] == "invalid_parameter"
        assert [(e["parameter"], e["in"]) for e in problem["errors"]] == [("kind", "query")]
