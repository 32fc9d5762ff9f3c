"""The pure evaluation core: no I/O, no clock reads; ``now`` is always a parameter."""
