"""Silences mirrored to Alertmanager (``/api/v2/silences``).

slotui's state store is the source of truth for silences; every
``alertmanager`` channel with ``mirror_silences: true`` (the default) gets a
copy of each pending or active slotui silence, so the alerts slotui posts
there are suppressed too, and an operator looking at Alertmanager sees why.
Each copy's comment ends with ``[slotui silence ID]``: that tag, not a stored
remote id, is how a copy is found again (the remote id is still recorded in the
store, per channel, for people and tools).

Two entry points:

- :func:`mirror_silence` is called by ``slotui silence add|expire`` right after
  the local change. It mirrors (or expires the copies of) that one silence.
  A failure never undoes the local silence: it comes back as a warning line
  for stderr, and the command still exits 0.
- :func:`sync_all` reconciles every channel with the store (the daemon calls it
  once per tick, see :class:`DaemonMirror`): silences made in the TUI, or while
  Alertmanager was down or unreachable, are mirrored then; copies of silences
  expired in slotui are expired; a copy whose end or matchers differ is
  updated. Copies tagged with a slotui id this store has never seen are left
  alone (another slotui, with its own state file, may share the Alertmanager),
  unlike :meth:`~slotui.channels.alertmanager.AlertmanagerChannel.sync_silences`.
  A copy expired by hand in Alertmanager while its slotui silence is still
  active is mirrored again: expire the silence in slotui instead.

Nothing here imports httpx unless the config has a mirroring Alertmanager
channel (the channel module imports it when it sends).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from slotui.alerting.silence import Silence
    from slotui.channels.alertmanager import AlertmanagerChannel
    from slotui.config.loader import LoadedConfig
    from slotui.config.model import AlertmanagerChannel as AlertmanagerChannelConfig
    from slotui.config.model import Config
    from slotui.store import Store

#: A config that can mirror names ``alertmanager`` outside a comment (cheap check before loading it).
_MENTIONS_ALERTMANAGER = re.compile(r"^[^#\n]*\balertmanager\b", re.MULTILINE)
#: How many times one pass re-lists to expire duplicate copies of one silence
#: (two processes mirroring the same new silence at the same moment both create one).
_MAX_EXPIRE_ROUNDS = 3


@dataclass
class ChannelSync:
    """What one reconcile of one Alertmanager channel did, by slotui silence id.

    ``failed`` is set when the channel could not be listed at all (nothing else
    was tried); ``errors`` holds per-silence refusals. ``retryable`` is False
    only when every failure was a final refusal (a 400: retrying will not help).
    """

    channel: str
    created: dict[str, str] = field(default_factory=dict)  # slotui id -> Alertmanager id
    updated: dict[str, str] = field(default_factory=dict)
    expired: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    failed: str | None = None
    retryable: bool = True

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.errors

    def changes(self) -> list[str]:
        """Log lines for what changed in Alertmanager (empty when nothing did)."""
        where = f"alertmanager channel '{self.channel}'"
        out = [f"silence {sid} mirrored to {where} as {rid}" for sid, rid in self.created.items()]
        out += [f"silence {sid} mirror updated in {where} ({rid})" for sid, rid in self.updated.items()]
        out += [f"silence {sid} mirror expired in {where}" for sid in self.expired]
        return out

    def problems(self) -> list[str]:
        """Log lines for what failed (stable text, so a daemon can log each once)."""
        where = f"alertmanager channel '{self.channel}'"
        if self.failed is not None:
            return [f"silence mirroring to {where} failed: {self.failed}"]
        return [f"silence {sid} not mirrored to {where}: {msg}" for sid, msg in sorted(self.errors.items())]


@dataclass
class MirrorReport:
    """The outcome of :func:`sync_all`: one :class:`ChannelSync` per mirroring channel."""

    channels: list[ChannelSync] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.channels)

    def changes(self) -> list[str]:
        return [line for c in self.channels for line in c.changes()]

    def problems(self) -> list[str]:
        return [line for c in self.channels for line in c.problems()]


# ------------------------------------------------------------------------------------------ config


def mirroring_channels(config: "Config") -> dict[str, "AlertmanagerChannelConfig"]:
    """The ``alertmanager`` channel configs of a :class:`~slotui.config.model.Config` that
    mirror silences (``mirror_silences: true``, the default), by channel name."""
    return {
        name: cfg
        for name, cfg in config.alerts.channels.items()
        if cfg.type == "alertmanager" and cfg.mirror_silences
    }


def _build(loaded: LoadedConfig, names: Iterable[str]) -> dict[str, AlertmanagerChannel]:
    from slotui.channels import build_channel

    configs = loaded.config.alerts.channels
    return {name: build_channel(name, configs[name], base_dir=loaded.base_dir) for name in names}  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ reconcile


async def reconcile(
    channel: AlertmanagerChannel,
    wanted: Mapping[str, Silence],
    known: Iterable[str],
    now: float,
    *,
    store: Store | None = None,
    only: Iterable[str] | None = None,
) -> ChannelSync:
    """Make ``channel``'s copies match slotui's silences, as of ``now`` (epoch seconds).

    ``wanted``: the silences that should have a copy (pending or active at
    ``now``; expired ones in it are ignored). ``known``: every slotui silence
    id this store holds, expired ones included; a copy whose tag names an id
    outside ``known`` belongs to someone else and is never touched. ``only``
    limits the pass to these slotui ids (the CLI's single silence). The
    Alertmanager id of each copy made is recorded with
    :meth:`Silences.set_external_id <slotui.alerting.silences.Silences.set_external_id>` when a store is given. Never raises for
    an Alertmanager failure: it is in the result.
    """
    from slotui.channels.alertmanager import SilenceMirrorError, _in_sync

    only_ids = set(only) if only is not None else None
    known_ids = set(known)
    wanted = {
        sid: s for sid, s in wanted.items()
        if not s.is_expired(now) and (only_ids is None or sid in only_ids)
    }
    result = ChannelSync(channel.name)
    final: list[bool] = []
    try:
        mirrored = await channel.list_mirrored()
    except SilenceMirrorError as exc:
        result.failed, result.retryable = str(exc), exc.retryable
        return result
    except Exception as exc:  # e.g. a 200 that is not JSON: not an Alertmanager at that URL
        result.failed = f"alertmanager {channel.name}: list silences: unexpected answer ({type(exc).__name__})"
        return result

    for sid, silence in wanted.items():
        remote = mirrored.get(sid)
        if remote is not None and _in_sync(remote, silence, now):
            _record(store, sid, channel.name, str(remote.get("id", "")))
            continue
        try:
            rid = await channel.mirror_silence(silence, remote_id=remote["id"] if remote else None)
        except SilenceMirrorError as exc:
            result.errors[sid] = str(exc)
            final.append(not exc.retryable)
            continue
        (result.updated if remote else result.created)[sid] = rid
        _record(store, sid, channel.name, rid)

    done: set[str] = set()  # Alertmanager ids already expired in this pass
    for _round in range(_MAX_EXPIRE_ROUNDS):
        stale = {
            sid: remote for sid, remote in mirrored.items()
            if sid not in wanted and sid in known_ids and (only_ids is None or sid in only_ids)
            and str(remote.get("id")) not in done and sid not in result.errors
        }
        if not stale:
            break
        for sid, remote in stale.items():
            rid = str(remote.get("id"))
            done.add(rid)
            try:
                await channel.expire_mirrored(rid)
            except SilenceMirrorError as exc:
                result.errors[sid] = str(exc)
                final.append(not exc.retryable)
                continue
            if sid not in result.expired:
                result.expired.append(sid)
        try:  # a second copy of the same silence shows up once the first is gone
            mirrored = await channel.list_mirrored()
        except Exception:  # the next pass retries
            break
    if final and all(final):
        result.retryable = False
    return result


def _record(store: Store | None, silence_id: str, channel: str, remote_id: str) -> None:
    """Remember the copy's Alertmanager id; best effort (the comment tag is the real link)."""
    if store is None or not remote_id:
        return
    from slotui.alerting.silences import Silences
    from slotui.store import StoreError

    silences = Silences(store)
    try:
        if silences.external_ids(silence_id).get(channel) != remote_id:
            silences.set_external_id(silence_id, channel, remote_id)
    except StoreError:
        pass


# ------------------------------------------------------------------------------------------ daemon


async def sync_all(
    loaded: LoadedConfig,
    store: Store,
    now: float,
    *,
    channels: Mapping[str, Any] | None = None,
) -> MirrorReport:
    """Reconcile every mirroring Alertmanager channel of ``loaded`` with the store's silences.

    ``channels`` lets a caller reuse channel objects it already has (the
    daemon's, by name); missing ones are built here and closed afterwards.
    Channels are reconciled concurrently. Never raises for an Alertmanager
    failure (see :class:`MirrorReport`); returns an empty report when no
    channel mirrors.
    """
    import asyncio

    names = list(mirroring_channels(loaded.config))
    if not names:
        return MirrorReport()
    given = {n: channels[n] for n in names if channels is not None and n in channels}
    built = _build(loaded, [n for n in names if n not in given])
    from slotui.alerting.silences import Silences

    silences = Silences(store)
    wanted = {s.id: s for s in silences.in_force(now)}
    known = set(wanted) | silences.known_ids(now)
    try:
        results = await asyncio.gather(
            *(reconcile({**given, **built}[n], wanted, known, now, store=store) for n in names)
        )
    finally:
        for ch in built.values():
            await ch.aclose()
    return MirrorReport(list(results))


class DaemonMirror:
    """The daemon's silence mirroring: one :func:`sync_all` per tick, with quiet logs.

    :meth:`sync` returns the lines worth logging: every change, each problem
    once (until it changes or clears), and a line when mirroring recovers.
    """

    def __init__(self, loaded: LoadedConfig, store: Store, *, channels: Callable[[], Mapping[str, Any]] | None = None):
        self.loaded = loaded
        self.store = store
        self._channels = channels
        self._problems: set[str] = set()

    @classmethod
    def for_config(
        cls, loaded: LoadedConfig, store: Store | None, *, channels: Callable[[], Mapping[str, Any]] | None = None
    ) -> DaemonMirror | None:
        """A mirror when ``loaded`` has a mirroring Alertmanager channel and there is a store, else None.

        ``channels`` returns channel objects to reuse by name (e.g. the alerting service's)."""
        if store is None or not mirroring_channels(loaded.config):
            return None
        return cls(loaded, store, channels=channels)

    async def sync(self, now: float) -> list[str]:
        """Reconcile all mirroring channels at ``now``; returns the lines to log."""
        channels = self._channels() if self._channels is not None else None
        report = await sync_all(self.loaded, self.store, now, channels=channels)
        problems = report.problems()
        lines = report.changes() + [p for p in problems if p not in self._problems]
        if self._problems and not problems:
            lines.append("silence mirroring to alertmanager recovered")
        self._problems = set(problems)
        return lines


# ------------------------------------------------------------------------------------------ CLI


def _load(config: Any) -> tuple[LoadedConfig | None, list[str]]:
    """The loaded config if it may mirror, else None; plus warning lines.

    ``config`` is a ``LoadedConfig``, or a path as given to ``-c`` (``None``:
    ``./slos.yaml`` if present, else the embedded demo). A file that names no
    ``alertmanager`` outside comments is not even parsed.
    """
    if config is not None and hasattr(config, "config") and hasattr(config, "base_dir"):
        return config, []
    from slotui.config.locations import EXAMPLE_CONFIG, resolve_config_path

    path = resolve_config_path(config)
    try:
        text = (path or EXAMPLE_CONFIG).read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"warning: silence saved locally, but not mirrored: cannot read {path}: {exc.strerror or exc}"]
    if not _MENTIONS_ALERTMANAGER.search(text):
        return None, []
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config

    try:
        return load_config(path), []
    except ConfigError:
        return None, [
            f"warning: silence saved locally, but not mirrored to Alertmanager: {path} is not a valid "
            f"SLO file (slotui validate -c {path} says why)"
        ]


def mirror_silence(
    silence: Silence,
    action: Literal["add", "expire"],
    *,
    config: Any = None,
    store: Store | None = None,
    now: float,
) -> list[str]:
    """Mirror one just-added silence (``action="add"``), or expire its copies
    (``"expire"``), in every mirroring Alertmanager channel of ``config``.

    Called by ``slotui silence`` after the local change is committed. Returns
    the lines to print on stderr: one per channel, saying where the silence
    went, or a warning naming the channel and Alertmanager's answer (secrets
    masked). Never raises for an Alertmanager failure; the local silence
    stands and the daemon's next :func:`sync_all` retries. No mirroring
    channel: returns ``[]`` without importing httpx.
    """
    loaded, lines = _load(config)
    if loaded is None or not mirroring_channels(loaded.config):
        return lines
    import asyncio

    return lines + asyncio.run(mirror_silence_async(silence, action, config=loaded, store=store, now=now))


async def mirror_silence_async(
    silence: Silence,
    action: Literal["add", "expire"],
    *,
    config: Any = None,
    store: Store | None = None,
    now: float,
) -> list[str]:
    """:func:`mirror_silence` for callers already inside an event loop (the TUI)."""
    import asyncio

    loaded, lines = _load(config)
    if loaded is None:
        return lines
    names = list(mirroring_channels(loaded.config))
    if not names:
        return lines
    channels = _build(loaded, names)
    wanted = {silence.id: silence}
    try:
        results = await asyncio.gather(
            *(reconcile(channels[n], wanted, {silence.id}, now, store=store, only={silence.id}) for n in names)
        )
    finally:
        for ch in channels.values():
            await ch.aclose()
    for res in results:
        lines.extend(_cli_lines(res, silence, action))
    return lines


def _cli_lines(res: ChannelSync, silence: Silence, action: str) -> list[str]:
    where = f"alertmanager channel '{res.channel}'"
    if res.ok:
        if silence.id in res.created or silence.id in res.updated:
            rid = res.created.get(silence.id) or res.updated[silence.id]
            return [f"mirrored to {where} (alertmanager silence {rid})"]
        if silence.id in res.expired:
            return [f"expired its mirror in {where}"]
        return []
    error = res.failed or res.errors.get(silence.id) or "; ".join(res.errors.values())
    done = "saved" if action == "add" else "expired"
    what = "mirroring to" if action == "add" else "expiring its mirror in"
    tail = "the daemon retries" if res.retryable else "Alertmanager refused it, so retrying will not help"
    return [f"warning: silence {done} locally, but {what} {where} failed: {error}; {tail}"]


__all__ = [
    "ChannelSync",
    "DaemonMirror",
    "MirrorReport",
    "mirror_silence",
    "mirror_silence_async",
    "mirroring_channels",
    "reconcile",
    "sync_all",
]
