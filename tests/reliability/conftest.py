"""Fixtures of the reliability tests: the suite's world, committed, and the writer processes."""

import pytest

from reliability import world as world_module


@pytest.fixture
def world(app):
    """The clinic, therapist and programs the writer processes use (committed)."""
    return world_module.build_world()


@pytest.fixture(scope="session")
def writer_forks(tmp_path_factory):
    forks = world_module.WriterForks(tmp_path_factory.mktemp("writers"))
    yield forks
    forks.close()
