"""Declared create/edit forms over HTTP: values converted by kind, per-field errors with what was typed kept."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from admin_ui import forms
from core.admin import Field
from tests.admin_ui.conftest import csrf_of
from tests.admin_ui.depot import Depot, depot_client

URL = "/admin/p/depot/items"


def value_of(html: str, name: str) -> str:
    m = re.search(rf'<input id="{name}" name="{name}" type="[^"]+" value="([^"]*)"', html)
    assert m, f"no input {name}"
    return m.group(1)


async def test_create_and_edit_through_the_declared_form(sbor_database, make_user) -> None:
    depot = Depot()
    admin = await make_user(roles=["admin"])
    async with depot_client(sbor_database, admin.id, depot) as client:
        listing = await client.get(URL, params={"status": "open"})
        assert f'id="create" href="{URL}/new?back=' in listing.text
        new = await client.get(f"{URL}/new", params={"back": f"{URL}?status=open"})
        assert new.status_code == 200 and 'type="datetime-local"' in new.text and "In Europe/Berlin." in new.text
        token = csrf_of(new.text)

        # Given bad input in three fields, the form comes back with an error on each and everything typed kept
        typed = {"_csrf": token, "back": f"{URL}?status=open", "name": "A name far longer than twenty",
                 "qty": "12x", "price": "3,50", "kind": "cherries", "tags": ["red", "ripe"], "due": "2026-12-24",
                 "starts": "2026-12-24T18:30", "fresh": "on", "token": "s3cret"}
        r = await client.post(f"{URL}/new", data=typed)
        assert r.status_code == 422 and "text/html" in r.headers["content-type"]
        assert 'id="name-error">At most 20 characters, please (this is 29).' in r.text
        assert 'id="qty-error">Enter a whole number.' in r.text
        assert 'id="kind-error">Pick from the list.' in r.text
        assert "price-error" not in r.text and "due-error" not in r.text
        assert value_of(r.text, "name") == "A name far longer than twenty" and value_of(r.text, "qty") == "12x"
        assert value_of(r.text, "price") == "3,50" and value_of(r.text, "starts") == "2026-12-24T18:30"
        assert 'value="red" checked' in r.text and 'value="ripe" checked' in r.text
        assert value_of(r.text, "token") == ""  # a secret is never sent back
        assert depot.saves == []

        # A ValidationFailed from save: the same, on the field it points at
        r = await client.post(f"{URL}/new", data={**typed, "name": "taken", "qty": "12", "kind": "a"})
        assert r.status_code == 422 and 'id="name-error">This name is taken.' in r.text
        assert value_of(r.text, "name") == "taken"

        # When it is corrected: created, converted by kind, and shown on its page
        r = await client.post(f"{URL}/new", data={**typed, "name": "Crate", "qty": "-12", "kind": "b"})
        assert r.status_code == 303 and r.headers["location"] == f"{URL}/o/1"
        _id, values = depot.saves[-1]
        assert _id is None and values == {
            "name": "Crate", "qty": -12, "price": Decimal("3.50"), "kind": "b", "tags": ["red", "ripe"],
            "due": date(2026, 12, 24), "starts": datetime(2026, 12, 24, 18, 30, tzinfo=ZoneInfo("Europe/Berlin")),
            "fresh": True, "token": "s3cret"}
        shown = await client.get(r.headers["location"])
        assert "Created." in shown.text and "<dt>Name</dt><dd>Crate</dd>" in shown.text

        # Edit: the form shows the current values; a cleared optional field is None, an empty secret None
        edit = await client.get(f"{URL}/o/1/edit", params={"back": f"{URL}/o/1"})
        assert edit.status_code == 200
        assert value_of(edit.text, "name") == "Crate" and value_of(edit.text, "qty") == "-12"
        assert value_of(edit.text, "due") == "2026-12-24" and value_of(edit.text, "starts") == "2026-12-24T18:30"
        assert '<option value="b" selected>Bananas</option>' in edit.text
        r = await client.post(f"{URL}/o/1/edit", data={
            "_csrf": token, "back": f"{URL}/o/1", "name": " Big crate ", "qty": "", "price": "",
            "kind": "a", "due": "2026-02-30", "starts": ""})
        assert r.status_code == 422 and 'id="due-error">Enter a date as YYYY-MM-DD.' in r.text
        r = await client.post(f"{URL}/o/1/edit", data={
            "_csrf": token, "back": f"{URL}/o/1", "name": " Big crate ", "qty": "", "price": "",
            "kind": "a", "due": "", "starts": ""})
        assert r.status_code == 303 and r.headers["location"] == f"{URL}/o/1"
        assert depot.saves[-1] == ("1", {"name": "Big crate", "qty": None, "price": None, "kind": "a", "tags": [],
                                         "due": None, "starts": None, "fresh": False, "token": None})
        assert "Saved." in (await client.get(f"{URL}/o/1")).text


def test_conversion_by_kind_refuses_bad_and_huge_input() -> None:
    fields = [Field("n", "N", kind="int", required=True), Field("d", "D", kind="decimal"),
              Field("e", "E", kind="email"), Field("u", "U", kind="url"), Field("b", "B", kind="bool", required=True),
              Field("m", "M", kind="multichoice", choices=[("x", "X")]), Field("t", "T", kind="textarea")]
    values, errors = forms.convert(fields, {"n": "9" * 30, "d": "NaN", "e": "nobody", "u": "javascript:alert(1)",
                                            "m": ["x", "y"], "t": "y" * 10_001})
    assert errors == {
        "n": "This number is too large.", "d": "Enter a number (like 12.5).",
        "e": "Enter an email address like name@example.org.", "u": "Enter a web address starting with https://.",
        "b": "This field is required.", "m": "Pick from the list.",
        "t": "At most 10000 characters, please (this is 10001)."}
    assert values == {}
    _values, errors = forms.convert(fields, {"n": "1" * 500})
    assert errors["n"] == "This value is far too long."
    values, errors = forms.convert(fields, {"n": "+7", "d": "1e3", "e": "a@b.org", "u": "https://x.org/a", "b": "on",
                                            "m": "x", "t": "fine"})
    assert errors == {} and values == {"n": 7, "d": Decimal("1E+3"), "e": "a@b.org", "u": "https://x.org/a",
                                       "b": True, "m": ["x"], "t": "fine"}
