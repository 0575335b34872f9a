"""HTTP routes of the chat: group rooms and "+1" pair chats through one code path (thin: parse, call, shape)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from core.auth.guards import SignedIn
from core.http.params import Limit
from core.pagination import Page
from plugins.groups.chat import services
from plugins.groups.chat.schemas import (
    ChatMessageCreate,
    ChatMessageRead,
    ChatReportCreate,
    ChatReportRead,
    MessageUpdate,
)

POSTED = ("201 with the message. When contact details are held back (anonymous chats) its ``status`` is ``held`` and "
          "``warning`` is ``contact_details_held``: only you see it (``held_for_review`` when a blocked word holds "
          "it for the moderators). 404 ``conversation_not_found`` when you are not "
          "in the conversation; 403 ``chat_post_forbidden``; 422 ``validation_failed`` (pointer ``/body``: empty or "
          "over 4000 characters); 429 ``rate_limited`` with Retry-After.")


class ChatController(Controller):
    """Messages of group rooms (``/groups/{group_id}/chat``) and pair chats (``/groups/pairs/{proposal_id}``)."""

    path = "/groups"

    @get("/{group_id:int}/chat/messages", operation_id="list_group_chat_messages",
         summary="A group's chat history, newest first")
    async def list_group_chat_messages(self, principal: SignedIn, group_id: FromPath[int],
                                       cursor: FromQuery[str | None] = None,
                                       limit: Limit = 50) -> Page[ChatMessageRead]:
        """Members only (404 ``conversation_not_found`` otherwise); deleted messages are tombstones."""
        return await services.history("chat", str(group_id), principal.user_id, cursor, limit)

    @post("/{group_id:int}/chat/messages", operation_id="post_group_chat_message", status_code=HTTP_201_CREATED,
          summary="Post to a group's chat", description=POSTED)
    async def post_group_chat_message(self, principal: SignedIn, group_id: FromPath[int],
                                      data: JSONBody[ChatMessageCreate]) -> ChatMessageRead:
        """Published to the room ``groups.chat:<group_id>``."""
        return await services.post("chat", str(group_id), principal.user_id, data.body)

    @get("/pairs/{proposal_id:int}/messages", operation_id="list_pair_messages",
         summary="An anonymous +1 chat's history, newest first")
    async def list_pair_messages(self, principal: SignedIn, proposal_id: FromPath[int],
                                 cursor: FromQuery[str | None] = None, limit: Limit = 50) -> Page[ChatMessageRead]:
        """The two people of the accepted proposal only (404 ``conversation_not_found`` otherwise)."""
        return await services.history("pair", str(proposal_id), principal.user_id, cursor, limit)

    @post("/pairs/{proposal_id:int}/messages", operation_id="post_pair_message", status_code=HTTP_201_CREATED,
          summary="Post to an anonymous +1 chat", description=POSTED)
    async def post_pair_message(self, principal: SignedIn, proposal_id: FromPath[int],
                                data: JSONBody[ChatMessageCreate]) -> ChatMessageRead:
        """Published to ``groups.pair:<proposal_id>``; contact details are held back until both revealed."""
        return await services.post("pair", str(proposal_id), principal.user_id, data.body)

    @patch("/chat/messages/{message_id:int}", operation_id="update_chat_message", summary="Edit my message")
    async def update_chat_message(self, principal: SignedIn, message_id: FromPath[int],
                                  data: JSONBody[MessageUpdate]) -> ChatMessageRead:
        """Within ``message_edit_minutes`` (409 ``edit_window_passed``); 403 ``not_author``; 409 ``message_deleted``."""
        return await services.edit(message_id, principal.user_id, data.body)

    @delete("/chat/messages/{message_id:int}", operation_id="delete_chat_message", status_code=HTTP_204_NO_CONTENT,
            summary="Delete a message")
    async def delete_chat_message(self, principal: SignedIn, message_id: FromPath[int]) -> None:
        """Its author or the conversation's moderators (403 ``not_author``); it stays as a tombstone."""
        await services.delete(message_id, principal.user_id)

    @post("/chat/messages/{message_id:int}/report", operation_id="report_chat_message", status_code=HTTP_201_CREATED,
          summary="Report a message to the moderators")
    async def report_chat_message(self, principal: SignedIn, message_id: FromPath[int],
                                  data: JSONBody[ChatReportCreate]) -> ChatReportRead:
        """Once per message (409 ``already_reported``); not one's own (409 ``own_message``)."""
        return await services.report(message_id, principal.user_id, data.reason)
