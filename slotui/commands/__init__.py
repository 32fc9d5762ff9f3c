"""One module per CLI subcommand, each exposing ``run(args) -> int``; imported lazily by ``slotui.cli``."""
