"""Support code of ``bench/bench_enrollment.py``: a settings module and urlconf with the ceiling view, and
the helper programs the benchmark runs as separate processes (preparation, load generator, creation)."""
