"""HTTP routes of the hello plugin: ``/api/v1/hello/greetings`` (thin: parse, call services, shape)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from core.auth.guards import SignedIn
from core.http.params import Limit
from core.pagination import Page

from sbor_hello import services
from sbor_hello.schemas import GreetingCreate, GreetingRead


class GreetingController(Controller):
    """Greetings: anyone reads the list, signed-in users greet."""

    path = "/hello/greetings"

    @get(operation_id="list_greetings", summary="Greetings, newest first")
    async def list_greetings(self, cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[GreetingRead]:
        """One page; pass ``next_cursor`` back as ``cursor`` for the next (400 ``invalid_cursor`` if tampered)."""
        return await services.list_greetings(cursor, limit)

    @post(operation_id="create_greeting", summary="Greet someone")
    async def create_greeting(self, principal: SignedIn, data: JSONBody[GreetingCreate]) -> GreetingRead:
        """201 with the greeting; 422 for a bad body; 404 ``user_not_found`` for an unknown ``to_user_id``."""
        return await services.greet(principal.user_id, data)
