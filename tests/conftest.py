"""Shared fixtures: a database on each engine (SQLite file, throwaway PostgreSQL cluster)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_desk.store.db import Database
from crm_desk.store.schema import open_database
from tests.support.postgres import PostgresCluster, running_cluster

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for a new, empty database on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crm-desk.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A database at the newest schema, on each engine."""
    database = open_database(db_url)
    yield database
    database.dispose()
