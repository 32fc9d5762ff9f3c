"""Screens pushed over the live table: detail view, dialogs, silences, alert log, help."""
