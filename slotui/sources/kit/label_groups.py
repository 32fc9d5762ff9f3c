"""Per-label groups of record values: what a breakdown (SPEC 10.1) is computed from.

A :class:`LabelGroups` keeps, for one record field (``gen_ai.request.model``,
``route``, a derived field, ``evaluations.<name>``), the records an SLO's
series took in: per epoch-aligned slice their times, values (threshold SLOs)
or good flags (ratio SLOs) and the label value of each as a small integer
code (label strings are interned once, so a million records of five models
hold five strings). Whole slices cache their per-label partition until they
change, so a tick costs one step per slice plus the (at most two) cut slices.

Memory: only the breakdown window is kept (:meth:`prune` drops slices that
end before ``now - window``), about 20 bytes per record in the window per
field; percentiles are exact (every value in the window is held). A record
whose field is null or absent is in the group ``(none)``. At most
``MAX_LABELS`` (10,000) distinct values are interned per field: once the
table is half full, values no longer held in the window are dropped from it
before a batch is added, and when it is full, records with new values count
in one group ``(more values)`` (with a note), so a high-cardinality field (a trace id by
mistake) cannot grow the table or the per-slice partitions without bound; the
core then cuts the window's groups to the 1,000 largest (SPEC 10.1).

Adding is done a batch at a time with list comprehensions and
``array.extend`` per run of records in one slice (records arrive in time
order), not a Python step per record; a ratio slice's good/total per value
is kept up to date as runs are added (:class:`collections.Counter`, C
loops), so a window reaching older slices costs a step per slice.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import compress
from typing import Any

from slotui.config.expressions import field_getter
from slotui.core.breakdown import MORE
from slotui.core.sums import sum_terms

__all__ = ["LabelGroups", "MAX_LABELS", "MORE_LABEL", "NONE_LABEL", "label_of"]

NONE_LABEL = "(none)"
#: distinct values interned per field (see the module docstring)
MAX_LABELS = 10_000
#: the group of records whose value came when the table was full
MORE_LABEL = MORE


#: a key absent from a record (``None`` is a present null)
_ABSENT = object()


def label_of(value: Any) -> str:
    """The label text of a record field's value: strings as they are, null as ``(none)``,
    booleans as ``true``/``false``, numbers in their shortest form (labels are text, as in
    Prometheus: ``1``, ``1.0`` and ``"1"`` are one value), objects and lists as compact JSON
    (``{"a":1}``, not Python's ``{'a': 1}``)."""
    if value is None:
        return NONE_LABEL
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return str(value)


class _Slice:
    __slots__ = ("times", "values", "codes", "_parts", "_counts", "_sums")

    def __init__(self, typecode: str) -> None:
        self.times = array("d")
        self.values = array(typecode)
        self.codes = array("I")
        self._parts: dict[int, list[float]] | None = None
        self._counts: dict[int, tuple[int, int]] | None = None
        self._sums: dict[int, tuple[int, float]] | None = None

    def parts(self) -> dict[int, list[float]]:
        """``{code: values}`` of the whole slice, each run sorted (cached until the slice changes)."""
        if self._parts is None:
            parts: dict[int, list[float]] = {}
            for code, v in zip(self.codes, self.values):
                bucket = parts.get(code)
                if bucket is None:
                    parts[code] = [v]
                else:
                    bucket.append(v)
            for run in parts.values():
                run.sort()
            self._parts = parts
        return self._parts

    def counts(self) -> dict[int, tuple[int, int]]:
        """``{code: (sum of values, count)}`` of the whole slice (good flags: good, total)."""
        if self.values.typecode == "b":  # good flags 0/1: two C-level counts, no partition
            totals = Counter(self.codes)
            goods = Counter(compress(self.codes, self.values))
            return {code: (goods.get(code, 0), n) for code, n in totals.items()}
        return {code: (sum(run), len(run)) for code, run in self.parts().items()}

    def parts_between(self, start: float, end: float) -> dict[int, list[float]]:
        parts: dict[int, list[float]] = {}
        for t, code, v in zip(self.times, self.codes, self.values):
            if start <= t < end:
                parts.setdefault(code, []).append(v)
        return parts


class LabelGroups:
    """The records of one series partitioned by the value of ``field`` (see the module docstring).

    ``kind`` is ``"values"`` (threshold SLOs: float values) or ``"ratio"``
    (good flags 0/1).
    """

    def __init__(self, field: str, slice_length: float, kind: str = "values") -> None:
        self.field = field
        #: a dotted field is looked up as every record field is: the flat key first, then the path
        #: through nested objects (``{"gen_ai": {"request": {"model": ...}}}``); it was the flat key only,
        #: so a nested model read as "(none)"
        self._get = field_getter(field)
        self._nested = "." in field
        self.length = float(slice_length)
        self.kind = kind
        self._typecode = "d" if kind == "values" else "b"
        self._codes: dict[str, int] = {}
        self._labels: list[str] = []
        #: raw field value (strings and null only: 1, 1.0 and True are equal keys) -> code
        self._raw: dict[Any, int] = {}
        #: the table was still full after dropping the values left the window (until the next prune)
        self._saturated = False
        self.notes: set[str] = set()
        self.slices: dict[int, _Slice] = {}

    def _code(self, value: Any) -> int:
        label = label_of(value)
        code = self._codes.get(label)
        if code is None:
            if len(self._labels) >= MAX_LABELS:
                self.notes.add(f"{self.field}: more than {MAX_LABELS:,} distinct values; later ones are "
                               f"counted together as {MORE_LABEL}")
                label = MORE_LABEL
                code = self._codes.get(label)
            if code is None:
                code = self._codes[label] = len(self._labels)
                self._labels.append(label)
        if value is None or type(value) is str:
            self._raw[value] = code
        return code

    def _compact(self) -> None:
        """Drop the interned values no held record uses (renumbering the codes); when the table
        is still more than half full, it is not tried again before the next prune."""
        used = sorted(set().union(*(set(sl.codes) for sl in self.slices.values())))
        renumber = {old: new for new, old in enumerate(used)}
        for sl in self.slices.values():
            sl.codes = array("I", map(renumber.__getitem__, sl.codes))
            sl._parts = sl._counts = sl._sums = None
        self._labels = [self._labels[old] for old in used]
        self._codes = {label: code for code, label in enumerate(self._labels)}
        self._raw = {}
        if MORE_LABEL not in self._codes:
            self.notes.clear()  # the records counted together have left the window
        self._saturated = len(self._labels) > MAX_LABELS // 2

    def _codes_of(self, records: Sequence[Mapping[str, Any]]) -> list[int]:
        name = self.field
        if self._nested:
            raws = [r.get(name, _ABSENT) for r in records]
            if any(v is _ABSENT for v in raws):
                get = self._get
                raws = [get(r) if v is _ABSENT else v for v, r in zip(raws, records)]
        else:
            raws = [r.get(name) for r in records]
        memo = self._raw.get
        try:
            codes = [memo(v, -1) for v in raws]
        except TypeError:  # an unhashable value (a list, an object): one by one
            return [self._code(v) for v in raws]
        if -1 in codes:
            code_of = self._code
            codes = [c if c >= 0 else code_of(v) for c, v in zip(codes, raws)]
        return codes

    def add_batch(self, times: Sequence[float], values: Sequence[float], records: Sequence[Mapping[str, Any]]) -> None:
        """Add records taken in by the series (``values[i]`` is ``records[i]``'s value or good flag)."""
        if not len(times):
            return
        if len(self._labels) > MAX_LABELS // 2 and not self._saturated:
            self._compact()  # between batches only: codes of a batch are never renumbered
        codes = self._codes_of(records)
        length = self.length
        keys = [int(t // length) for t in times]
        slices = self.slices
        if keys == sorted(keys):
            # time order (the usual case): one extend per run of records in the same slice
            ratio = self.kind == "ratio"
            i, n = 0, len(keys)
            while i < n:
                key = keys[i]
                j = n if keys[-1] == key else bisect_right(keys, key, i)
                sl = slices.get(key)
                fresh = sl is None
                if sl is None:
                    sl = slices[key] = _Slice(self._typecode)
                run_codes, run_values = codes[i:j], values[i:j]
                if ratio and (fresh or sl._counts is not None):
                    # good/total per code kept up to date as records come (C-level counts of the run),
                    # so a window that reaches old slices for the first time costs a step per slice
                    tally = {} if fresh else dict(sl._counts or {})
                    totals = Counter(run_codes)
                    goods = Counter(compress(run_codes, run_values))
                    for code, total in totals.items():
                        g0, t0 = tally.get(code, (0, 0))
                        tally[code] = (g0 + goods.get(code, 0), t0 + total)
                    sl._counts = tally
                    sl._parts = sl._sums = None
                else:
                    sl._parts = sl._counts = sl._sums = None
                sl.times.extend(times[i:j])
                sl.values.extend(run_values)
                sl.codes.extend(run_codes)
                i = j
            return
        last_key = None
        sl = None
        for key, t, v, code in zip(keys, times, values, codes):
            if key != last_key:
                sl = slices.get(key)
                if sl is None:
                    sl = slices[key] = _Slice(self._typecode)
                sl._parts = sl._counts = sl._sums = None
                last_key = key
            sl.times.append(t)  # type: ignore[union-attr]
            sl.values.append(v)  # type: ignore[union-attr]
            sl.codes.append(code)  # type: ignore[union-attr]

    def remove(self, t: float, value: float, record: Mapping[str, Any]) -> None:
        """Retract one record added before (no-op when not held)."""
        sl = self.slices.get(int(t // self.length))
        code = self._codes.get(label_of(self._get(record)), self._codes.get(MORE_LABEL))
        if sl is None or code is None:
            return
        for i in range(len(sl.times) - 1, -1, -1):
            if sl.times[i] == t and sl.values[i] == value and sl.codes[i] == code:
                del sl.times[i], sl.values[i], sl.codes[i]
                sl._parts = sl._counts = sl._sums = None
                return

    def prune(self, before: float) -> None:
        """Forget slices that end at or before ``before``."""
        k = math.floor(before / self.length)
        dropped = [key for key in self.slices if key < k]
        for key in dropped:
            del self.slices[key]
        if dropped:
            self._saturated = False

    def clear(self) -> None:
        self.slices.clear()
        self._saturated = False

    def _parts(self, start: float, end: float) -> dict[str, list[float]]:
        out: dict[int, list[float]] = {}
        length = self.length
        k0, k1 = math.floor(start / length), math.floor(end / length)
        for key in self._keys(k0, k1):
            sl = self.slices.get(key)
            if sl is None:
                continue
            s0 = key * length
            parts = sl.parts() if s0 >= start and s0 + length <= end else sl.parts_between(start, end)
            for code, vs in parts.items():
                have = out.get(code)
                if have is None:
                    out[code] = list(vs)
                else:
                    have.extend(vs)
        labels = self._labels
        return {labels[code]: vs for code, vs in out.items()}

    def values(self, start: float, end: float) -> dict[str, list[float]]:
        """``{label: values}`` of records with time in ``[start, end)``."""
        return self._parts(start, end)

    def counts(self, start: float, end: float) -> dict[str, tuple[float, float]]:
        """``{label: (good, total)}`` of events with time in ``[start, end)`` (ratio kind)."""
        out: dict[int, list[int]] = {}
        length = self.length
        k0, k1 = math.floor(start / length), math.floor(end / length)
        for key in self._keys(k0, k1):
            sl = self.slices.get(key)
            if sl is None:
                continue
            s0 = key * length
            if s0 >= start and s0 + length <= end:
                if sl._counts is None:
                    sl._counts = sl.counts()
                pairs = sl._counts.items()
            else:
                pairs = ((c, (sum(v), len(v))) for c, v in sl.parts_between(start, end).items())
            for code, (good, total) in pairs:
                have = out.get(code)
                if have is None:
                    out[code] = [good, total]
                else:
                    have[0] += good
                    have[1] += total
        labels = self._labels
        return {labels[code]: (float(g), float(n)) for code, (g, n) in out.items()}

    def sums(self, start: float, end: float) -> dict[str, tuple[float, tuple[float, ...]]]:
        """``{label: (count, sum as exact terms)}`` of values with time in ``[start, end)`` (per whole
        slice cached; :func:`~slotui.core.sums.sum_terms`)."""
        out: dict[int, list[Any]] = {}
        length = self.length
        k0, k1 = math.floor(start / length), math.floor(end / length)
        for key in self._keys(k0, k1):
            sl = self.slices.get(key)
            if sl is None:
                continue
            s0 = key * length
            if s0 >= start and s0 + length <= end:
                if sl._sums is None:
                    sl._sums = {c: (len(v), sum_terms(v)) for c, v in sl.parts().items()}
                pairs = sl._sums.items()
            else:
                pairs = ((c, (len(v), sum_terms(v))) for c, v in sl.parts_between(start, end).items())
            for code, (n, terms) in pairs:
                have = out.get(code)
                if have is None:
                    out[code] = [n, list(terms)]
                else:
                    have[0] += n
                    have[1].extend(terms)
        labels = self._labels
        # each label's slice terms reduced to its sum and residuals (sum_terms): the breakdown adds them
        # per group, not per slice
        return {labels[code]: (float(n), tuple(sum_terms(parts))) for code, (n, parts) in out.items()}

    def _keys(self, k0: int, k1: int) -> Any:
        return range(k0, k1 + 1) if k1 - k0 < len(self.slices) else sorted(k for k in self.slices if k0 <= k <= k1)
