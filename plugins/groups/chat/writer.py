"""Group commit of chat posts: the posts of concurrent senders share one rate-limit round trip, insert and publish.

A post is handed over (:func:`save`) once it passed the checks that need no round trip of their own, and waits until
its batch is stored (one statement, committed) and published; only then does it return, so nothing is acknowledged
that is not saved. While a batch is being written, the posts that arrive meanwhile queue up and make the next batch:
under load batches grow by themselves, and a lone post waits for nobody (no timer). A batch:

1. counts each post against ``chat_messages_per_minute`` per user and room (``ratelimit``'s sliding window, one
   Redis pipeline for the batch); a post over the limit fails with 429 ``rate_limited`` and is not stored;
2. stores the others: through the kind's ``store`` (group rooms: membership checked inside the insert; a post whose
   author may not post gets None) or the plain insert, ids drawn in the order the posts were handed over;
3. publishes the visible ones to their rooms in that order (``realtime.queue_publish``), in the same Redis pipeline
   as step 1 of the next batch when posts are waiting (so a batch costs one Redis and one PostgreSQL round trip
   under load); what Redis refuses then is logged and dropped, as with ``realtime.after_commit``: the posts are saved;
4. answers each post with its id.

A failing insert is retried post by post, so one bad post fails alone. One writer per event loop (API process).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError

from core import cache, ratelimit, realtime
from core.errors import RateLimited
from core.hooks import plugin_settings
from plugins.groups import GroupsSettings
from plugins.groups.chat import sql
from plugins.groups.chat.conversations import AuthorView, Conversation, NewPost
from plugins.groups.chat.schemas import AuthorRead, ChatEvent, ChatMessageFrame

log = logging.getLogger("plugins.groups")
MAX_BATCH = 256
"""Posts written by one statement at most (the rest wait for the next)."""
RATE_BUCKET = "groups.chat"

Store = Callable[[Sequence[NewPost]], Awaitable[list[int | None]]]


@dataclass(slots=True)
class _Pending:
    post: NewPost
    conversation: Conversation
    author: AuthorView
    checked: bool  # counted by the rate limit and allowed to post already: the plain insert, no second count
    future: asyncio.Future[int | None]


class _Writer:
    """The queue of one event loop and the task that drains it, batch after batch."""

    def __init__(self) -> None:
        self.queue: list[_Pending] = []
        self.task: asyncio.Task[None] | None = None

    async def save(self, pending: _Pending) -> int | None:
        self.queue.append(pending)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._drain())
        return await pending.future

    def _take(self) -> list[_Pending]:
        batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
        return batch

    async def _drain(self) -> None:
        batch: list[_Pending] = []
        upcoming: list[_Pending] = []
        stopped: BaseException = RuntimeError("the chat's writer stopped")
        refusals: dict[int, RateLimited] = {}
        try:
            while True:
                if not batch:  # none counted yet: on the first round, or when posts came during the last publish
                    batch = self._take()
                    if not batch:
                        return  # no await between this check and the end: a post queued now starts a new drain
                    refusals = await _count(batch)
                todo, outcomes, frames = await _store_batch(batch, refusals)
                upcoming = self._take()
                refusals = await _publish_and_count(frames, upcoming)  # one round trip for both
                for pending, outcome in zip(todo, outcomes, strict=True):
                    _answer(pending, outcome)
                batch, upcoming = upcoming, []
        except Exception as exc:  # a bug: every waiting post gets it (their senders answer internal_error)
            log.exception("chat: the writer failed")
            stopped = exc
        except asyncio.CancelledError:
            log.warning("chat: the writer was cancelled with %s posts waiting", len(batch + upcoming + self.queue))
            raise
        finally:  # also when cancelled (the loop is closing): nobody may wait for ever
            self.task = None
            for pending in batch + upcoming + self.queue:  # those answered already are skipped
                _answer(pending, stopped)
            self.queue = []


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writer] = weakref.WeakKeyDictionary()


async def save(conversation: Conversation, post: NewPost, author: AuthorView, *, checked: bool = False) -> int | None:
    """Store ``post`` (and publish it unless held) with the posts of the same moment; return its id once committed.

    None when the kind's ``store`` refused it (its author may not post). Raises ``RateLimited`` (429) past the rate
    limit, or the store's error. ``checked``: the post was counted and its author may post (a second attempt after
    None): stored by the plain insert, not counted again.
    """
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = _Writer()
    return await writer.save(_Pending(post, conversation, author, checked, loop.create_future()))


def frame_of(post: NewPost, message_id: int, author: AuthorView) -> ChatMessageFrame:
    """The real-time shape of a stored post."""
    return ChatMessageFrame(id=message_id, author=AuthorRead(author.user_id, author.name), status=post.status,
                            created_at=post.created_at, body=post.body)


def _answer(pending: _Pending, outcome: int | BaseException | None) -> None:
    if pending.future.done():  # its sender went away (cancelled): the post is stored all the same
        return
    if isinstance(outcome, BaseException):
        pending.future.set_exception(outcome)
    else:
        pending.future.set_result(outcome)


def _subjects(batch: list[_Pending]) -> tuple[list[_Pending], list[str]]:
    fresh = [p for p in batch if not p.checked]
    return fresh, [f"{p.post.author}:{p.post.kind}:{p.post.key}" for p in fresh]


async def _count(batch: list[_Pending]) -> dict[int, RateLimited]:
    """The rate limit's refusals among ``batch`` (by ``id()`` of the post)."""
    fresh, subjects = _subjects(batch)
    limit = plugin_settings(GroupsSettings).chat_messages_per_minute
    verdicts = await ratelimit.hit_many(RATE_BUCKET, subjects, limit=limit, window_s=60)
    return {id(p): error for p, error in zip(fresh, verdicts, strict=True) if error is not None}


async def _publish_and_count(frames: list[tuple[str, ChatEvent]], upcoming: list[_Pending]) -> dict[int, RateLimited]:
    """Publish a stored batch's frames and count the next batch against the rate limit, in one Redis round trip.

    On a Redis error the frames are dropped (logged: the posts are saved) and the next batch is not limited (fail
    open, as ``ratelimit.hit``).
    """
    fresh, subjects = _subjects(upcoming)
    if not frames and not fresh:
        return {}
    limit = plugin_settings(GroupsSettings).chat_messages_per_minute
    try:
        async with cache.client().pipeline(transaction=False) as pipe:
            published = realtime.queue_publish(pipe, frames)
            verdicts = ratelimit.queue_hits(pipe, RATE_BUCKET, subjects, limit=limit, window_s=60) if fresh else None
            replies = await pipe.execute(raise_on_error=False)
    except (RedisError, OSError):  # at most once: these frames are lost; the limit fails open for a moment
        log.warning("chat: dropped %s real-time messages, rate limit not enforced (Redis error)", len(frames),
                    exc_info=True)
        return {}
    if published and isinstance(replies[0], Exception):
        log.warning("chat: dropped %s real-time messages (Redis refused: %s)", len(frames), replies[0])
    if verdicts is None:
        return {}
    return {id(p): error for p, error in zip(fresh, verdicts(replies[published]), strict=True) if error is not None}


async def _store_batch(batch: list[_Pending], refusals: dict[int, RateLimited]
                       ) -> tuple[list[_Pending], list[int | BaseException | None], list[tuple[str, ChatEvent]]]:
    """Answer the refused posts; store the others: them, their outcomes, and the frames of the visible ones."""
    for pending in batch:
        if id(pending) in refusals:
            _answer(pending, refusals[id(pending)])
    todo = [p for p in batch if id(p) not in refusals]
    outcomes = await _store(todo)
    frames = [(p.conversation.room(p.post.key), ChatEvent("message.created", frame_of(p.post, outcome, p.author)))
              for p, outcome in zip(todo, outcomes, strict=True)
              if isinstance(outcome, int) and p.post.status == "visible"]
    return todo, outcomes, frames


async def _store(todo: list[_Pending]) -> list[int | BaseException | None]:
    """Insert the posts, each through its kind's store (or the plain insert); by post when a batch fails."""
    outcomes: list[int | BaseException | None] = [None] * len(todo)
    by_store: dict[Store, list[int]] = {}
    for i, pending in enumerate(todo):
        store = pending.conversation.store
        by_store.setdefault(_plain if pending.checked or store is None else store, []).append(i)
    for store, places in by_store.items():
        try:
            found: list[int | BaseException | None] = list(await store([todo[i].post for i in places]))
        except Exception as exc:  # one bad post must not fail the others: each alone
            found = [exc] if len(places) == 1 else [await _one(store, todo[i].post) for i in places]
        for i, outcome in zip(places, found, strict=True):
            outcomes[i] = outcome
    return outcomes


async def _one(store: Store, post: NewPost) -> int | BaseException | None:
    try:
        return (await store([post]))[0]
    except Exception as exc:  # this post's own failure (its sender gets it), not the batch's
        log.warning("chat: could not store a post of user %s to %s:%s: %r", post.author, post.kind, post.key, exc)
        return exc


async def _plain(posts: Sequence[NewPost]) -> list[int | None]:
    """The insert of posts whose authors may post (checked before): ids in the posts' order."""
    from core import db

    rows = await db.fetch(sql.INSERT_MESSAGES, [p.kind for p in posts], [p.key for p in posts],
                          [p.author for p in posts], [p.body for p in posts], [p.status for p in posts],
                          [p.created_at for p in posts])
    return [int(r["id"]) for r in rows]
