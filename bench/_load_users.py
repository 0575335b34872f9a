"""The load generator of ``bench/load.py``: locust as a library, headless, in its own process (gevent stays out of the
benchmark's process).

Each simulated person signs in (``POST /api/v1/auth/login``) on one of the API processes (round robin, as a load
balancer would) and then, with a short think time, reads the feed (60 %), opens an event (25 %), joins or leaves an
event (5 %), reads their inbox (5 %) or sends a batch of analytics events (5 %). Every request is recorded with its
wall-clock start, route, latency and status, so the benchmark can tell errors inside a fault window from errors
outside one. What the API accepted is recorded too (the last accepted join/leave per person and event, the ids of
accepted analytics events), to count afterwards what reached the database.

    python bench/_load_users.py --hosts URL,URL --accounts FILE --events FIRST:LAST --users N --seconds S --out FILE
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--hosts", required=True)
parser.add_argument("--accounts", required=True, help="JSON file: [[email, password], ...]")
parser.add_argument("--events", required=True, help="FIRST:LAST event ids")
parser.add_argument("--users", type=int, default=48)
parser.add_argument("--spawn-rate", type=float, default=12.0)
parser.add_argument("--seconds", type=float, default=300.0)
parser.add_argument("--think", default="0.1:0.4", help="think time between requests, MIN:MAX seconds")
parser.add_argument("--out", required=True)
ARGS = parser.parse_args()

HOSTS = ARGS.hosts.split(",")
with open(ARGS.accounts) as fh:
    ACCOUNTS: list[list[str]] = json.load(fh)
FIRST_EVENT, LAST_EVENT = (int(x) for x in ARGS.events.split(":"))
THINK = tuple(float(x) for x in ARGS.think.split(":"))
NEAR = [(55.7558, 37.6173), (55.79, 37.55), (55.70, 37.70), (59.9343, 30.3351)]
WHEN = ["next_7_days", "today", "this_weekend", None]
NUMBER = itertools.count()

# (start wall-clock s, route, latency ms, status (0 = no answer), index of the API process in --hosts)
REQUESTS: list[tuple[float, str, float, int, int]] = []
# person -> event -> "joined" / "left" (the last change the API accepted), or "unknown" after an answer that did not
# say (a 5xx or no answer: the change may or may not have been made).
MEMBERSHIP: dict[int, dict[int, str]] = {}
# person -> event -> [(wall-clock start, verb, status)]: what each change answered, to explain a mismatch.
HISTORY: dict[int, dict[int, list[tuple[float, str, int | str]]]] = {}
ANALYTICS_ACCEPTED: list[str] = []
ANALYTICS_UNKNOWN = 0
SIGNED_IN = 0


@events.request.add_listener
def record(request_type: str, name: str, response_time: float, response_length: int, response: Any = None,
           context: Any = None, exception: Any = None, start_time: float | None = None, **kwargs: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0) if response is not None else 0
    url = str(kwargs.get("url") or "")
    api = next((i for i, host in enumerate(HOSTS) if url.startswith(host)), -1)
    REQUESTS.append((start_time or time.time(), name, response_time, status, api))


class Person(FastHttpUser):
    """One signed-in person using the app."""

    host = HOSTS[0]
    wait_time = between(*THINK)
    connection_timeout = 10.0
    network_timeout = 30.0

    def on_start(self) -> None:
        global SIGNED_IN
        self.n = next(NUMBER)
        self.base = HOSTS[self.n % len(HOSTS)]
        email, password = ACCOUNTS[self.n % len(ACCOUNTS)]
        self.person = self.n % len(ACCOUNTS)
        MEMBERSHIP.setdefault(self.person, {})
        # Each person toggles their place at a few events of their own (no two people share a pair).
        self.mine = random.Random(self.n).sample(range(FIRST_EVENT, LAST_EVENT + 1), 12)
        self.headers: dict[str, str] = {}
        while not self.headers:
            with self.client.post(f"{self.base}/api/v1/auth/login", name="auth.login", catch_response=True,
                                  json={"identifier": email, "password": password, "device_id": f"load-{self.n:05d}",
                                        "device_name": "locust"}) as r:
                if r.status_code == 200:
                    self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
                    SIGNED_IN += 1
                else:
                    r.failure(f"login {r.status_code}")
                    print(f"login failed: {r.status_code} {(r.text or '')[:300]}", flush=True)
                    gevent.sleep(1.0)

    def get(self, path: str, name: str) -> Any:
        with self.client.get(f"{self.base}{path}", name=name, headers=self.headers, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
            return r

    @task(60)
    def feed(self) -> None:
        lat, lng = random.choice(NEAR)
        when = random.choice(WHEN)
        query = f"near={lat},{lng}&radius_km={random.choice([5, 10, 25])}&limit=20"
        self.get(f"/api/v1/events?{query}" + (f"&when={when}" if when else ""), "feed")

    @task(25)
    def event_detail(self) -> None:
        self.get(f"/api/v1/events/{random.randint(FIRST_EVENT, LAST_EVENT)}", "event")

    @task(5)
    def join_or_leave(self) -> None:
        state = MEMBERSHIP[self.person]
        choices = [e for e in self.mine if state.get(e) != "unknown"]
        if not choices:
            return
        event = random.choice(choices)
        joined = state.get(event) == "joined"
        verb, ok = ("leave", 204) if joined else ("join", 200)
        started = time.time()
        with self.client.post(f"{self.base}/api/v1/events/{event}/{verb}", name=verb, headers=self.headers,
                              json={} if verb == "join" else None, catch_response=True) as r:
            answer: int | str = r.status_code
            if verb == "join" and answer == ok:
                try:
                    took = r.json().get("status", "?")
                except ValueError:
                    took = "?"
                answer = f"{answer} {took}"  # "confirmed": the events have no capacity limit and need no approval
            HISTORY.setdefault(self.person, {}).setdefault(event, []).append((started, verb, answer))
            if r.status_code == ok:
                state[event] = "left" if joined else "joined"
            else:
                r.failure(f"{r.status_code}")
                # 4xx: refused, nothing changed; otherwise the answer does not say whether the change was made.
                if not 400 <= r.status_code < 500:
                    state[event] = "unknown"

    @task(5)
    def inbox(self) -> None:
        self.get("/api/v1/notify/inbox?limit=20", "inbox")

    @task(5)
    def analytics(self) -> None:
        global ANALYTICS_UNKNOWN
        now = datetime.now(UTC).isoformat()
        batch = [{"id": str(uuid.uuid4()), "name": random.choice(["event_viewed", "card_clicked", "feed_scrolled"]),
                  "occurred_at": now, "event_id": random.randint(FIRST_EVENT, LAST_EVENT),
                  "props": {"source": "feed"}} for _ in range(5)]
        with self.client.post(f"{self.base}/api/v1/analytics/events", name="analytics", headers=self.headers,
                              json={"events": batch}, catch_response=True) as r:
            if r.status_code == 202 and r.json().get("accepted") == len(batch):
                ANALYTICS_ACCEPTED.extend(e["id"] for e in batch)
            else:
                r.failure(f"{r.status_code}")
                if not 400 <= r.status_code < 500:
                    ANALYTICS_UNKNOWN += len(batch)


def main() -> None:
    env = Environment(user_classes=[Person], events=events)
    runner = env.create_local_runner()
    started = time.time()
    runner.start(ARGS.users, spawn_rate=ARGS.spawn_rate)
    gevent.spawn_later(ARGS.seconds, runner.quit)
    runner.greenlet.join()
    ended = time.time()
    with open(ARGS.out, "w") as fh:
        json.dump({"started": started, "ended": ended, "users": ARGS.users, "signed_in": SIGNED_IN,
                   "requests": REQUESTS, "membership": {str(k): v for k, v in MEMBERSHIP.items()},
                   "history": {str(k): v for k, v in HISTORY.items()},
                   "analytics_accepted": ANALYTICS_ACCEPTED, "analytics_unknown": ANALYTICS_UNKNOWN}, fh)


if __name__ == "__main__":
    main()
