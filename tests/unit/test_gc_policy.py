"""slotui.gc_policy: what the commands do to the cycle collector before their work."""

from __future__ import annotations

import gc

from slotui import gc_policy


def test_apply_freezes_what_is_loaded_and_raises_only_the_young_threshold() -> None:
    saved = gc.get_threshold()
    # an earlier in-process command may have applied the policy already: start from CPython's default
    gc.set_threshold(700, *saved[1:])
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        gc_policy.apply()
        young, middle, old = gc.get_threshold()
        assert young == gc_policy.YOUNG > before[0]
        assert (middle, old) == before[1:]  # older generations keep their ratios: cycles still get collected
        assert gc.get_freeze_count() > frozen
        gc_policy.apply()  # idempotent
        assert gc.get_threshold() == (gc_policy.YOUNG, middle, old)
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved)
