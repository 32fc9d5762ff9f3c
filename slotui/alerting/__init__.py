"""Alerting: alert states, routes, grouping, inhibition, escalation, silences and delivery.

Modules: ``notification`` (shared types), ``state`` (per-alert state machine),
``routes``, ``context`` (labels and texts of an alert), ``engine`` (pure:
report + states + silences + now -> new states + notifications), ``delivery``
(the outbox dispatcher), ``notify`` (one-shot delivery for ``check --notify``),
``service`` (the :class:`Alerting` facade used by the engine, TUI, daemon and
CLI), ``silence`` (the pure silence and matcher types), ``silences`` (the one
:class:`~slotui.alerting.silences.Silences` service: validate, set, expire,
query, GC; used by the CLI, the TUI, the daemon and the mirror), ``mirror``
(silences copied to Alertmanager).

The rows live in the state store (:mod:`slotui.store`): alert states and the
outbox through :meth:`~slotui.store.Store.alert_transaction` and
:attr:`~slotui.store.Store.outbox`, silences through the service; nothing here
runs SQL.
"""
