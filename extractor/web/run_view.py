"""What a run page shows, built from the run's folder and cached while its files stay the same.

Why a cache: the output check and the previews re-read every released file; a reviewer reloading the
page, or fifty browsing at once, must not redo that. The cache key is each file's name, size and
modification time, so a changed file is read again. What a viewer may see is decided before this runs
(access.authorise); a requester's view leaves out the review report, unreleased files and the check.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractor.checker.release_check import check_release
from extractor.files import read_regular, regular_files
from extractor.release.layout import MANIFEST, RunFolder
from extractor.web.preview import compare, preview

_LIMIT = 256


def signature(folder: Path) -> tuple:
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in regular_files(folder))


class RunViews:
    def __init__(self) -> None:
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._making: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The value for key, made once even when many ask at the same time (the others wait for it)."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = make()
            with self._lock:
                self._cache[key] = value
                self._making.pop(key, None)
                while len(self._cache) > _LIMIT:
                    self._cache.popitem(last=False)
        return value

    def manifest(self, folder: RunFolder) -> dict[str, Any]:
        key = ("manifest", str(folder.release), signature(folder.release))
        return self._cached(key, lambda: _read_manifest(folder.manifest))

    def check(self, folder: RunFolder) -> Any:
        if not folder.manifest.is_file():
            return None
        return self._cached(("check", str(folder.release), signature(folder.release)),
                            lambda: check_release(folder.release))

    def files(self, folder: RunFolder, page: int, earlier: RunFolder | None,
              recorded: dict[str, str], controller: dict[str, str] | None = None,
              wanted: str = "", target: str | None = None) -> list[dict[str, Any]]:
        """The files the run's signed record names, each previewed only when its bytes are still those;
        `controller` (for a reviewer only: the record's hashes of the files outside release/) adds each hidden
        or moved cell's own reason from the table's exact values, read only if they are still those bytes.
        `page` and `wanted` (the filter) are the `target` file's; every other file shows its first rows."""
        entries = {o["file"]: o for o in self.manifest(folder).get("outputs", [])}
        shown = []
        for name in sorted(n for n in recorded if n != MANIFEST):
            path = folder.release / name
            page_here, wanted_here = (page, wanted) if name == target else (1, "")
            try:
                stat = (path.lstat().st_size, path.lstat().st_mtime_ns)
                exact_name = f"{folder.exact_tables.relative_to(folder.root).as_posix()}/{path.stem}.parquet"
                exact_sha = (controller or {}).get(exact_name)
                exact = (folder.exact_tables / f"{path.stem}.parquet", exact_sha) if exact_sha else None
                view = dict(self._cached(
                    ("preview", str(path), stat, page_here, recorded[name], exact, wanted_here),
                    lambda p=path, n=name, e=exact, pg=page_here, w=wanted_here: _checked_preview(
                        p, entries.get(n), pg, recorded[n], e, w)))
                view["filter"] = wanted_here
            except OSError:
                view = {"header": [], "rows": [], "changed": True}
            before = earlier.release / name if earlier else None
            if view.get("header") and before is not None and before.is_file() and not before.is_symlink():
                view["compared"] = self._cached(
                    ("compare", str(path), stat, str(before), before.stat().st_mtime_ns),
                    lambda p=path, b=before, n=name: compare(p, b, entries.get(n)))
            shown.append({"name": name, **view})
        return shown


def _checked_preview(path: Path, entry: dict[str, Any] | None, page: int, sha: str,
                     exact: tuple[Path, str] | None, wanted: str = "") -> dict[str, Any]:
    """The preview of a file whose bytes are what the run recorded; otherwise only that it changed."""
    data = read_regular(path)
    if hashlib.sha256(data).hexdigest() != sha:
        return {"header": [], "rows": [], "changed": True}
    return preview(path, entry, page, data, exact, wanted)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(read_regular(path))
    except (OSError, ValueError):
        return {}
