"""HTTP routes of the hello plugin: ``/api/v1/hello/greetings``."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody

from sbor_hello import services


class GreetingCreate(msgspec.Struct):
    """Who to greet."""

    name: str


class GreetingRead(msgspec.Struct):
    """A stored greeting."""

    id: int
    name: str
    message: str
    created_at: datetime


class GreetingController(Controller):
    """Greetings."""

    path = "/hello/greetings"

    @post(operation_id="create_greeting")
    async def create_greeting(self, data: JSONBody[GreetingCreate]) -> GreetingRead:
        """Greet someone."""
        return msgspec.convert(await services.greet(data.name), GreetingRead)

    @get(operation_id="list_greetings")
    async def list_greetings(self) -> list[GreetingRead]:
        """The latest greetings."""
        return msgspec.convert(await services.list_greetings(), list[GreetingRead])
