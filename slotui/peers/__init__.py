"""The peers' SLO formats (OpenSLO, Sloth, Pyrra) read into slotui SLOs, and PromQL checked before it runs.

Each format module turns one YAML document into plain slotui config data or
raises :class:`Refused` with the reason; :mod:`slotui.commands.import_` is the
CLI layer that reads files, detects formats and reports what was skipped.
"""
