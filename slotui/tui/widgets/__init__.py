"""Widgets and renderables of the main screen: SLO table, header, sources panel, SLI chart."""
