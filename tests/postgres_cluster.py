"""A throwaway PostgreSQL server for the tests: Debian's initdb and pg_ctl in a temporary folder, listening on
loopback only, stopped at the end. As root, the server runs as `nobody` (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PASSWORD = "pg-test-password-7d1c"


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if found is None:
        raise RuntimeError(f"{name} not found: `make test` installs Debian's postgresql")
    return found


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def cluster(folder: Path) -> Iterator[str]:
    """A running server; yields the base connection string (database `postgres`, user `extractor`)."""
    folder.mkdir(parents=True, exist_ok=True)
    data, pwfile, port = folder / "data", folder / "pw", _port()
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody")
        shutil.chown(pwfile, "nobody")
        os.chmod(folder, 0o700)
    subprocess.run(_as_server_user([_binary("initdb"), "-D", str(data), "-U", "extractor", "--auth=scram-sha-256",
                                    f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale", "-N"]),
                   check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=60"
    subprocess.run(_as_server_user([_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
                                    "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://extractor:{PASSWORD}@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_server_user([_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True)


@contextmanager
def temporary_cluster() -> Iterator[str]:
    """cluster() in a folder of its own outside pytest's root-only temp folder (`nobody` must reach it)."""
    folder = Path(tempfile.mkdtemp(prefix="extractor-pg-"))
    try:
        with cluster(folder) as base:
            yield base
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_database(base: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def catalog_on_postgres(repo: Path, folder: Path, variable: str, edit: dict[str, str] | None = None) -> Path:
    """The demo's requests and queries copied under `folder` beside a catalog whose every table is read from
    PostgreSQL (the connection string in $`variable`); `edit` replaces text in that catalog. Returns the
    folder of the requests."""
    import re

    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(repo / "queries", folder / "queries")
    requests = folder / "examples" / "registry"
    shutil.copytree(repo / "examples" / "registry", requests)
    text = (requests / "catalog.toml").read_text(encoding="utf-8")
    text = re.sub(r'path = "(\w+)\.parquet"', rf'format = "postgres"\ntable = "public.\1"\nconnection = "{variable}"',
                  text)
    for old, new in (edit or {}).items():
        if old not in text:
            raise ValueError(f"{old!r} is not in the catalog")
        text = text.replace(old, new, 1)
    (requests / "catalog.toml").write_text(text, encoding="utf-8")
    return requests
