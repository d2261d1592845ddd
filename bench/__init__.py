"""Benchmarks (``make bench``); see ``calendar_sync_bench``."""
