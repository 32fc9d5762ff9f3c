"""``slotui replay``: the real evaluation and alert engine run in simulated time (SPEC 10.3)."""
