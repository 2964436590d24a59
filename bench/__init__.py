"""Benchmarks: each ``bench/bench_<name>.py`` exposes ``run() -> dict``; ``python -m bench`` runs them."""
