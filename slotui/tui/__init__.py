"""The Textual app: one client of the core (the daemon and ``check`` are others).

``make_app`` (in :mod:`slotui.tui.app`) builds it for the CLI, the tests and the
bench. Layout: ``app.py`` (state, refresh loop, actions), ``backend.py`` (what the
app asks of the engine, and the thread it runs in), ``engine_backend.py`` (the
real engine, store and alerting behind it), ``cells.py`` (a row's cells),
``screens/`` (detail, dialogs, silences, alert log, help), ``widgets/`` (the
table, header, sources panel, chart), ``themes.py`` + ``settings.py`` (data
from ``themes/`` and the user's ``tui.yaml``), ``slotui.tcss``.
Importing this package does not import Textual; its modules do.
"""
