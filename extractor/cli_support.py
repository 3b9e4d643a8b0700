"""What every command shares: the consoles, and `friendly`, which turns any failure into one line."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from extractor.errors import ExtractorError


def _flag_without_type() -> None:
    """Typer's help prints a flag as `--verbose <bool>`, as if it took a value; a flag takes none."""
    from typer.core import TyperOption

    typed = TyperOption.display_type_rich

    def shown(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else typed(self, ctx)

    TyperOption.display_type_rich = shown  # type: ignore[method-assign]


_flag_without_type()
out = Console(soft_wrap=True)
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def _scrub(message: str) -> str:
    key = os.environ.get("EXTRACTOR_KEY")
    return message.replace(key, "<key>") if key else message


def friendly(fn: F) -> F:
    """Turn every failure into one line and exit code 2 (bad input) or 1 (a bug), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ExtractorError as exc:
            err.print(f"error: {_scrub(str(exc))}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted: nothing was released", markup=False)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except UnicodeError:
            err.print("error: an argument or file name is not valid UTF-8 text", markup=False)
            raise typer.Exit(2) from None
        except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
            if os.environ.get("EXTRACTOR_DEBUG"):
                raise
            first = (str(exc).strip().splitlines() or [""])[0]
            err.print(f"internal error: {type(exc).__name__}: {_scrub(first)} (set EXTRACTOR_DEBUG=1 for details)",
                      markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
