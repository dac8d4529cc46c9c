"""The `edustat` command line."""
