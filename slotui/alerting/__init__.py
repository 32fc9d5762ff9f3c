"""Alerting: alert states, routes, grouping, inhibition, escalation, silences and the delivery outbox.

Modules: ``notification`` (shared types), ``state`` (per-alert state machine),
``routes``, ``grouping``, ``engine`` (pure: report + states + silences + now ->
new states + notifications), ``delivery`` (outbox dispatcher),
``service`` (the :class:`Alerting` facade used by the engine, TUI, daemon and CLI),
``silence`` (silences and matchers).
"""
