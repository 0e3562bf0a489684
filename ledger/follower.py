"""The one follower of the notification log in a process: it reads the notifications appended since
it last looked, once, and hands each page to every room that keeps something current from the log
(the cached stream states the rules judge against, `streams.py`; the log as entries the readers
score, `entry_log.py`). Before, each of them read the same new rows on its own.

A room subscribes with `take` (called with each page, in seq order, under the follower's lock) and
`wants` (whether it needs pages at all now: stream states with nothing cached do not, so a process
that only appends never reads the log back). When no subscriber wants them, the follower moves past
new notifications without reading them. A room that starts wanting pages later (the entry log, at
its first read) first catches itself up to the follower's position under the same lock (`join`),
then receives every page after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: notifications read per query
PAGE = 5_000


@dataclass(frozen=True)
class Subscriber:
    take: Callable[[Sequence[Any]], None]
    wants: Callable[[], bool]


class LogFollower:
    def __init__(self, recorder: Any):
        self.recorder = recorder
        #: every notification up to this seq has been handed to every subscriber that wanted it
        self.position = 0
        #: held while pages are handed out, and by a room that reads whole streams or catches up,
        #: so that nothing is handed twice or passed over (re-entrant: a `take` may read)
        self.lock = threading.RLock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, take: Callable[[Sequence[Any]], None], wants: Callable[[], bool]) -> None:
        with self.lock:
            self._subscribers.append(Subscriber(take, wants))

    def join(self, catch_up: Callable[[int], None], take: Callable[[Sequence[Any]], None]) -> None:
        """Subscribe a room that has read nothing yet: `catch_up(position)` brings it to the
        follower's position first (it reads what it needs itself), under the lock."""
        with self.lock:
            catch_up(self.position)
            self._subscribers.append(Subscriber(take, lambda: True))

    def follow(self) -> int:
        """Hand every notification appended since the last look to the subscribers that want them;
        the log's last seq. One cheap query when nothing is new."""
        head = self.recorder.max_notification_id() or 0
        if head <= self.position:
            return head
        with self.lock:
            wanting = [s for s in self._subscribers if s.wants()]
            after = self.position
            while wanting and after < head:
                page = self.recorder.select_notifications(after, PAGE, stop=head, inclusive_of_start=False)
                if not page:
                    break
                for subscriber in wanting:
                    subscriber.take(page)
                after = page[-1].id
            self.position = max(self.position, head)
        return head

    def appended(self, seqs: Sequence[int], by: Callable[[Sequence[Any]], None]) -> None:
        """This process appended `seqs` and the subscriber `by` already holds them (the writer's
        stream states): when no other subscriber wants pages now and the seqs follow the position
        directly (nobody else wrote in between), the follower need not read them back."""
        if not seqs:
            return
        with self.lock:
            others = [s for s in self._subscribers if s.take != by and s.wants()]
            if not others and min(seqs) == self.position + 1:
                self.position = max(seqs)


__all__ = ["LogFollower", "PAGE"]
