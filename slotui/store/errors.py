"""The store's exceptions: :class:`StoreError` and the silence lookups that fail."""

from __future__ import annotations


class StoreError(Exception):
    """The state file cannot be used (not SQLite, not slotui's, newer schema, locked, unreadable)."""


class StateFileMissing(StoreError):
    """A command that only reads the state file found none (nothing is created for it)."""


class SilenceNotFound(StoreError):
    """No silence has this id or id prefix."""


class AmbiguousSilenceId(StoreError):
    """An id prefix names more than one silence."""


class UnreadableSilence(StoreError):
    """The silence's row does not decode (it can still be expired)."""

