"""Shared fixtures. Every test runs with the network blocked: extractor must work air-gapped."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from extractor.synth import registry as synth

REPO = Path(__file__).resolve().parent.parent
ADULT = REPO / "examples" / "adult" / "data"
SYNTHEA = REPO / "examples" / "synthea" / "data"
TEST_KEY = "test-key-0123456789abcdef-0123456789abcdef"


DURATIONS = Path(__file__).with_name("durations.json")  # seconds per test file: `make durations` remakes it
SPARK_SCOPE = "spark"  # every test file with "spark" in its name: one worker, so one JVM (it starts in ~25 s)
# Spark's administrator settings for the tests (a C1-only JVM: see the file); a deployment keeps its own.
os.environ.setdefault("SPARK_CONF_DIR", str(Path(__file__).with_name("spark")))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest test files first (a stable sort: a file's own order stays). xdist hands whole files to
    its workers; a long file handed out last keeps one worker busy while the other waits."""
    seconds = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.exists() else {}
    spark = sum(s for name, s in seconds.items() if SPARK_SCOPE in Path(name).name)

    def longest_first(item: pytest.Item) -> tuple[float, float]:
        own = seconds.get(item.nodeid.split("::")[0], 0.0)
        return -(spark if SPARK_SCOPE in item.path.name else own), -own

    items.sort(key=longest_first)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Files as xdist's units of work, in the order collected (longest first, above), the Spark files as one."""
    from xdist.scheduler import LoadFileScheduling

    class FilesSparkTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::")[0]
            return SPARK_SCOPE if SPARK_SCOPE in Path(file).name else file

    config.option.loadscopereorder = False
    return FilesSparkTogether(config, log)


class NetworkBlocked(RuntimeError):
    pass


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise NetworkBlocked("network access attempted during tests")


LOOPBACK = {"127.0.0.1", "::1", "localhost"}  # this machine only: Spark's JVM gateway (py4j) listens there


def _loopback(address: object) -> bool:
    return isinstance(address, tuple) and bool(address) and str(address[0]) in LOOPBACK


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> None:
    original_connect = socket.socket.connect
    original_create, original_getaddrinfo = socket.create_connection, socket.getaddrinfo

    def guarded(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_UNIX or _loopback(address):
            return original_connect(self, address)
        _refuse()

    def create(address: object, *args: object, **kwargs: object) -> socket.socket:
        if _loopback(address):
            return original_create(address, *args, **kwargs)  # type: ignore[arg-type]
        return _refuse()  # type: ignore[func-returns-value]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if str(host) in LOOPBACK:
            return original_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]
        return _refuse()  # type: ignore[func-returns-value]

    socket.socket.connect = guarded  # type: ignore[method-assign]
    socket.create_connection = create  # type: ignore[assignment]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_KEY", TEST_KEY)
    monkeypatch.delenv("EXTRACTOR_KEY_FILE", raising=False)
    monkeypatch.setenv("EXTRACTOR_LANG", "en")  # messages in English whatever the machine's locale; tests of
    # Finnish and Swedish ask for them


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic registry, made once per test session."""
    out = tmp_path_factory.mktemp("registry") / "registry"
    synth.generate(out, clients=3000, seed=7)
    return out


def run_env() -> dict[str, str]:
    env = dict(os.environ)
    env["EXTRACTOR_KEY"] = TEST_KEY
    env["EXTRACTOR_LANG"] = "en"
    return env
