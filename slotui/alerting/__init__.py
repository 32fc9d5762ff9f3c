"""Alerting: alert states, routes, grouping, inhibition, escalation, silences and the delivery outbox.

Modules:

- ``notification``: the types shared by the lifecycle, the outbox and every channel;
- ``state``: what is remembered between evaluations (alert and group records);
- ``context``: what an alert says (labels, annotations, numbers) built from an SLO result;
- ``routes``: which channels an alert goes to;
- ``lifecycle``: the pure step (report + states + silences + now -> new states and
  notifications): ``for``, grouping, inhibition, escalation;
- ``silence``: silences and matchers (Alertmanager semantics);
- ``outbox``: the alert states, groups and durable outbox in the state store;
- ``delivery``: the dispatcher that drains the outbox through the channels;
- ``mirror``: silences mirrored to Alertmanager;
- ``oneshot``: ``check --notify`` (send what one evaluation fires, then report);
- ``service``: the :class:`Alerting` facade the engine, the TUI, the daemon and the CLI call.
"""
