"""The Textual app: one client of the core (the daemon and ``check`` are others).

``make_app`` (in :mod:`slotui.tui.app`) builds it for the CLI, the tests and the
bench. Layout: ``app.py`` (state, refresh loop, actions), ``backend.py`` (what the
app asks of the engine, and the thread it runs in), ``engine_backend.py`` (the
real engine, store and alerting behind it), ``cells.py`` (a row's cells: styling
only; the text comes from :mod:`slotui.formatting`), ``palette.py`` (the command
palette's provider), ``screens/`` (detail, dialogs, silences, alert log, help),
``widgets/`` (the table, with Textual's private DataTable internals kept behind
``fast_rows.py``; header, sources panel, chart), ``themes.py`` + ``settings.py``
(data from ``themes/`` and the user's ``tui.yaml``), ``slotui.tcss``.
Importing this package does not import Textual; its modules do.
"""
