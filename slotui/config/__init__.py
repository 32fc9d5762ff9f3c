"""Configuration: the typed model, loading with line numbers, env interpolation, seed forms."""
