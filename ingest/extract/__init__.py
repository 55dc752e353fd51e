"""Article extraction beyond trafilatura: the product's boilerplate rules and their scoring.

``boilerplate``: rules on trafilatura's body tree (pure, lxml only). ``page``: trafilatura run
fast-first with those rules applied. ``scoring``: the Zyte benchmark's scorer, used by
``bench/bench_extraction.py`` and the quality test. :mod:`ingest.extract.article` is the entry point
the pipeline calls.
"""
