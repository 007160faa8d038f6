"""Benchmarks: a synthetic archive generator (`bench.corpus`) and the scenarios run on it."""
