"""The one silences service: validate, set, expire, query and GC, over the state store.

Modelled on Alertmanager's ``silence.Silences``; the CLI (``slotui silence``),
the TUI (:mod:`slotui.tui.engine_backend`), the daemon (GC beside compaction)
and the Alertmanager mirror (:mod:`slotui.alerting.mirror`) all go through
:class:`Silences`, so each rule below is written once. The silence objects and
matchers themselves are the pure types of :mod:`slotui.alerting.silence`; the
rows are the store's (:mod:`slotui.store.silences`).

Rules (times are epoch seconds; ``now`` is always a parameter):

- **validate**: at least one matcher, and not only matchers that match the
  empty label (:meth:`Silence.validate`); finite times; a non-blank author
  (``created_by``); the comment is free text and may be empty (the mirror
  tags every Alertmanager copy, so the copy's comment never is); an end, when
  there is one, after ``now`` ("this silence would end in the past") and after
  the start.
- **set** (create or update, Alertmanager semantics): an id the store does not
  hold creates the silence, its start moved up to ``now`` when it lies in the
  past. An existing silence is updated in place only when the matchers are
  unchanged and the times allow it: an *active* one keeps its start and ends
  after ``now``; a *pending* one does not start in the past. Any other change
  (other matchers, an active silence's start moved, a start in the past, an
  expired silence) expires the old silence and creates a new one, with a new
  id, starting no earlier than ``now``, in one transaction.
- **edit** (the TUI's): a new end and comment through **set**: an active
  silence restarts at ``now`` (expired and replaced), a pending one keeps its
  start and id.
- **expire**: an active silence ends at ``now``; a pending one starts and ends
  at ``now``; an expired one raises :class:`SilenceAlreadyExpired`. An
  unreadable row (:mod:`slotui.bad_rows`) is ended too and returned as an
  :class:`~slotui.bad_rows.UnreadableRow`.
- **query**: by state (``active``, ``pending``, ``expired``), by matchers
  (``slo=~help.*`` finds a silence with ``slo=helpfulness``, as ``amtool
  silence query`` does) and by id prefix; unreadable rows are skipped, or
  returned apart by :meth:`Silences.scan`.
- **GC**: silences that ended more than :data:`SILENCE_RETENTION` ago are
  deleted (Alertmanager's ``--data.retention``). 35 days, the raw history's
  retention, so replaying the kept history still sees the silences of its time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from slotui.alerting.silence import (
    TIME_RANGE as _RANGE,
    Matcher,
    Silence,
    SilenceState,
    filter_silences,
    new_silence_id,
)
from slotui.alerting.silence import representable as _representable
from slotui.bad_rows import UnreadableRow

if TYPE_CHECKING:
    from slotui.store import Store

DAY = 86400.0
#: Expired silences are deleted this long after they ended (the store's raw history retention).
SILENCE_RETENTION = 35 * DAY

_ALL_STATES: tuple[SilenceState, ...] = ("active", "pending", "expired")


class InvalidSilence(ValueError):
    """A silence the rules refuse; the message says what is wrong."""


class SilenceAlreadyExpired(Exception):
    """Expiring a silence that has already ended."""

    def __init__(self, silence: Silence) -> None:
        super().__init__(f"silence {silence.id} had already expired")
        self.silence = silence


@dataclass(frozen=True, slots=True)
class SetResult:
    """What :meth:`Silences.set` stored: ``silence`` (its id may be new), and ``replaced``, the old
    silence as expired when the change could not be made in place (else None)."""

    silence: Silence
    replaced: Silence | None = None

    @property
    def created(self) -> bool:
        """True when a new silence (a new id) was stored."""
        return self.replaced is not None


@dataclass(frozen=True, slots=True)
class SilenceScan:
    """Readable silences of a selection, and the rows of it that do not decode."""

    silences: list[Silence]
    unreadable: list[UnreadableRow]


class Silences:
    """Silences of one state store. ``retention``: how long an expired silence is kept (:meth:`gc`)."""

    def __init__(self, store: Store, *, retention: float = SILENCE_RETENTION) -> None:
        self.store = store
        self.retention = retention

    # ------------------------------------------------------------------ validate

    @staticmethod
    def validate(silence: Silence, now: float) -> None:
        """Raise :class:`InvalidSilence` for a silence that may not be set at ``now``."""
        check_times(silence.starts_at, silence.ends_at, now)
        try:
            silence.validate()
        except ValueError as exc:
            raise InvalidSilence(str(exc)) from None
        if not silence.created_by.strip():
            raise InvalidSilence("a silence needs an author (created_by), e.g. your user name")

    # ------------------------------------------------------------------ set

    def set(self, silence: Silence, *, now: float) -> SetResult:
        """Create or update ``silence`` at ``now`` (see the module docstring); returns what was stored.

        Raises :class:`InvalidSilence`, :class:`~slotui.store.UnreadableSilence` when the silence
        to update does not decode (expire it instead), or :class:`~slotui.store.StoreError`.
        """
        self.validate(silence, now)
        previous = self._exact(silence.id)
        if isinstance(previous, UnreadableRow):
            from slotui.store import UnreadableSilence

            raise UnreadableSilence(
                f"silence {previous.id} is unreadable ({previous.reason}); `slotui silence expire {previous.id}` ends it"
            )
        if previous is None:
            new = replace(silence, starts_at=max(silence.starts_at, now), updated_at=now)
            self.store.add_silence(new, now=now)
            return SetResult(new)
        if can_update(previous, silence, now):
            updated = replace(silence, updated_at=now)
            self.store.update_silence(updated)
            return SetResult(updated)
        new = replace(silence, id=new_silence_id(), starts_at=max(silence.starts_at, now), updated_at=now)
        ended = self.store.replace_silence(previous.id, new, now=now)
        return SetResult(new, replaced=ended)

    def edit(self, id_or_prefix: str, *, ends_at: float | None, comment: str, author: str, now: float) -> SetResult:
        """A new end (``None``: a mute), comment and author for a silence, through :meth:`set`: an
        active silence restarts at ``now`` (so it is expired and a new one with the same matchers
        starts now, unless it started exactly now); a pending one keeps its start and id. Raises
        :class:`InvalidSilence`, :class:`~slotui.store.SilenceNotFound`,
        :class:`~slotui.store.AmbiguousSilenceId` or :class:`~slotui.store.UnreadableSilence`."""
        old = self.get(id_or_prefix)
        starts_at = old.starts_at if old.state(now) == "pending" else now
        check_times(starts_at, ends_at, now)
        return self.set(replace(old, starts_at=starts_at, ends_at=ends_at, created_by=author, comment=comment), now=now)

    def _exact(self, silence_id: str) -> Silence | UnreadableRow | None:
        """The stored silence with exactly this id (a prefix match of another id does not count)."""
        from slotui.store import AmbiguousSilenceId, SilenceNotFound

        try:
            found = self.store.silence_or_unreadable(silence_id)  # an exact id is looked up first
        except (SilenceNotFound, AmbiguousSilenceId):
            return None
        return found if found.id == silence_id else None

    # ------------------------------------------------------------------ expire

    def expire(self, id_or_prefix: str, *, now: float) -> Silence | UnreadableRow:
        """End the silence with this id (or unique id prefix) at ``now``; returns it as stored.

        Raises :class:`SilenceAlreadyExpired`, :class:`~slotui.store.SilenceNotFound` or
        :class:`~slotui.store.AmbiguousSilenceId`. An unreadable row is ended and returned as an
        :class:`~slotui.bad_rows.UnreadableRow`.
        """
        found = self.store.silence_or_unreadable(id_or_prefix, now)  # (a prefix: the one not ended, if one)
        if not isinstance(found, UnreadableRow) and found.is_expired(now):
            raise SilenceAlreadyExpired(found)
        return self.store.expire_silence(found.id, now)

    # ------------------------------------------------------------------ query

    def get(self, id_or_prefix: str) -> Silence:
        """The silence with this id or unique id prefix. Raises :class:`~slotui.store.SilenceNotFound`,
        :class:`~slotui.store.AmbiguousSilenceId` or :class:`~slotui.store.UnreadableSilence`."""
        return self.store.get_silence(id_or_prefix)

    def find(self, id_or_prefix: str) -> Silence | UnreadableRow:
        """Like :meth:`get`, but an unreadable row is returned (as an :class:`UnreadableRow`), not raised."""
        return self.store.silence_or_unreadable(id_or_prefix)

    def scan(self, now: float, *, expired: bool = False) -> SilenceScan:
        """Silences not yet expired at ``now`` (active and pending; ``expired=True``: the expired ones),
        by start then id, with the rows of that selection that do not decode."""
        good, bad = self.store.scan_silences(now, expired=expired)
        return SilenceScan(good, bad)

    def query(
        self,
        now: float,
        *,
        states: Iterable[SilenceState] | None = None,
        matchers: Sequence[Matcher] = (),
        id_prefix: str | None = None,
    ) -> list[Silence]:
        """Readable silences in one of ``states`` at ``now`` (all when None), fitting every query
        matcher and whose id starts with ``id_prefix``; not-yet-expired ones first, each part by
        start then id."""
        wanted = set(_ALL_STATES if states is None else states)
        unknown = wanted - set(_ALL_STATES)
        if unknown:
            raise ValueError(f"unknown silence state {sorted(unknown)[0]!r}; expected active, pending or expired")
        found: list[Silence] = []
        if wanted & {"active", "pending"}:
            found += self.store.list_silences(now)
        if "expired" in wanted:
            found += self.store.list_silences(now, expired=True)
        found = [s for s in found if s.state(now) in wanted]
        if id_prefix is not None:
            prefix = id_prefix.strip().lower()
            found = [s for s in found if s.id.startswith(prefix)]
        return filter_silences(found, matchers) if matchers else found

    def in_force(self, now: float) -> list[Silence]:
        """Silences not yet expired at ``now`` (active and pending): what the alert engine is given."""
        return self.store.list_silences(now)

    def known_ids(self, now: float) -> set[str]:
        """Ids of every readable silence the store holds, expired ones included."""
        return {s.id for s in self.query(now)}

    # ------------------------------------------------------------------ GC

    def gc(self, now: float) -> list[str]:
        """Delete the silences that ended before ``now - retention``; returns their ids, sorted."""
        return self.store.delete_silences_ended_before(now - self.retention)

    # ------------------------------------------------------------------ links to other systems

    def external_ids(self, silence_id: str) -> dict[str, str]:
        """Ids this silence has in other systems, per channel name (e.g. its Alertmanager silence id)."""
        return self.store.silence_external_ids(silence_id)

    def set_external_id(self, silence_id: str, channel: str, external_id: str | None) -> None:
        """Record (or with ``None`` forget) the id of this silence's copy in ``channel``."""
        self.store.set_silence_external_id(silence_id, channel, external_id)


def check_times(starts_at: float, ends_at: float | None, now: float) -> None:
    """The time rules of :meth:`Silences.validate`, for callers that check times before building a
    :class:`Silence` (the CLI): finite times; an end after ``now`` and after the start."""
    if not math.isfinite(starts_at) or (ends_at is not None and not math.isfinite(ends_at)):
        raise InvalidSilence("a silence's start and end must be finite times")
    if not _representable(starts_at, ends_at):
        raise InvalidSilence(f"a silence must start and end {_RANGE} (use a mute for no end)")
    if ends_at is not None:
        if ends_at <= now:
            raise InvalidSilence("this silence would end in the past")
        if ends_at <= starts_at:
            raise InvalidSilence("a silence must end after it starts")


def can_update(previous: Silence, new: Silence, now: float) -> bool:
    """Whether ``new`` may replace ``previous`` in place at ``now`` (Alertmanager's ``canUpdate``):
    same matchers, and an active silence keeps its start and ends after ``now``, a pending one
    does not start before ``now``; an expired silence is never updated."""
    if tuple(previous.matchers) != tuple(new.matchers):
        return False
    state = previous.state(now)
    if state == "active":
        return new.starts_at == previous.starts_at and (new.ends_at is None or new.ends_at >= now)
    if state == "pending":
        return new.starts_at >= now
    return False


__all__ = [
    "SILENCE_RETENTION",
    "InvalidSilence",
    "SetResult",
    "SilenceAlreadyExpired",
    "SilenceScan",
    "Silences",
    "can_update",
    "check_times",
]
