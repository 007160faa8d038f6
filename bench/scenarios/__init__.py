"""One module per benchmark scenario; each has `run(settings) -> dict` and prints its tables."""
