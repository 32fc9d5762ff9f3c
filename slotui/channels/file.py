"""File channel: one JSON line per notification, appended to a path.

The audit log, and the demo's channel (test alerts work with no network).
Each line is the notification's dict (``Notification.to_dict()``) plus
``delivered_at`` (UTC epoch seconds, when the line was written). The path is
relative to the SLO file's directory; parent directories are created. Every
append holds an exclusive ``fcntl.flock`` on the file and writes the line with
one ``write`` call, then ``fsync``\\ s, so concurrent slotui processes sharing a
log never interleave lines and a line reported delivered is on disk.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.channels import render
from slotui.channels.base import DeliveryResult

if TYPE_CHECKING:
    from slotui.alerting.notification import Notification
    from slotui.config.model import FileChannel as FileChannelConfig

try:  # POSIX; elsewhere appends are still single writes, without the lock
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line to ``path`` under an exclusive lock, durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


#: errors that retrying will not fix (a full disk, by contrast, may clear)
_PERMANENT = frozenset({errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EROFS, errno.EEXIST})


class FileChannel:
    """Appends notifications as JSON lines to a file."""

    def __init__(self, name: str, config: "FileChannelConfig", *, base_dir: Path | None = None) -> None:
        self.name = name
        self.send_resolved = config.send_resolved
        path = Path(config.path).expanduser()
        self.path = path if path.is_absolute() else Path(base_dir or ".") / path

    def __repr__(self) -> str:
        return f"FileChannel({self.name!r}, {str(self.path)!r})"

    async def send(self, notification: "Notification") -> DeliveryResult:
        skip = render.skip_reason(self.send_resolved, notification)
        if skip:
            return DeliveryResult.delivered(message=skip)
        record = notification.to_dict()
        record["delivered_at"] = time.time()
        try:
            await asyncio.to_thread(append_line, self.path, record)
        except OSError as exc:
            retryable = exc.errno not in _PERMANENT
            return DeliveryResult.failed(
                f"file: cannot append to {self.path}: {exc.strerror or exc}", retryable=retryable
            )
        return DeliveryResult.delivered(message=f"file: appended to {self.path}")

    async def aclose(self) -> None:
        return None
