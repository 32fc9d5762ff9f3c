"""Alerting: alert states, routes, grouping, inhibition, escalation, silences and delivery.

Modules:

- ``notification``: the types shared by the lifecycle, the outbox and every channel;
- ``state``: what is remembered between evaluations (alert and group records);
- ``context``: what an alert says (labels, annotations, numbers) built from an SLO result;
- ``routes``: which channels an alert goes to;
- ``lifecycle``: the pure step (report + states + silences + now -> new states and
  notifications): ``for``, grouping, inhibition, escalation;
- ``silence``: the pure silence and matcher types;
- ``silences``: the one :class:`~slotui.alerting.silences.Silences` service (validate, set, expire,
  query, GC) used by the CLI, the TUI, the daemon and the mirror;
- ``delivery``: the dispatcher that drains the outbox through the channels;
- ``mirror``: silences mirrored to Alertmanager;
- ``oneshot``: ``check --notify`` (send what one evaluation fires, then report);
- ``service``: the :class:`Alerting` facade the engine, the TUI, the daemon and the CLI call.

The rows live in the state store (:mod:`slotui.store`): alert states and the
outbox through :meth:`~slotui.store.Store.alert_transaction` and
:attr:`~slotui.store.Store.outbox`, silences through the service; nothing here
runs SQL.
"""
