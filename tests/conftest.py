"""Fixtures shared by several test files."""

import pytest


@pytest.fixture
def seeding_on_all_threads(monkeypatch):
    """Greedy k-means++ on every thread it is given, however small the data or busy the machine.

    Small data would run on one thread (``SEED_ROWS_PER_THREAD``) and a busy
    test machine would trip the load guard (``SEED_REGION_LIMIT``): both are
    lifted, so that ``n_threads=2`` really runs two threads.
    """
    import optimeans.seeding as seeding_mod

    monkeypatch.setattr(seeding_mod, "SEED_ROWS_PER_THREAD", 1)
    monkeypatch.setattr(seeding_mod, "SEED_REGION_LIMIT", float("inf"))
