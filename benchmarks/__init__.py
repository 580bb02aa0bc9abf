"""The benchmark suite: ``python -m benchmarks.run`` (``make bench``).

Every figure is a ratio against a bare Starlette + sqlite3 + orjson app measured
in the same run, A/B interleaved, median of several repetitions.
"""
