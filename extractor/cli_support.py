"""What every command shares: the consoles, and `friendly`, which turns any failure into one line."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from extractor.errors import ExtractorError
from extractor.i18n import N_


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
ERROR = N_("error")  # the prefix of every error line; said in the command's language (the catalogs have it)


def _scrub(message: str) -> str:
    key = os.environ.get("EXTRACTOR_KEY")
    return message.replace(key, "<key>") if key else message


SIGNED_IN: dict[str, str] = {}  # the language of the account a command signed in as (one command per process)


def speaking(account_language: str | None = None) -> str:
    """The language of a command's messages: --lang or EXTRACTOR_LANG, the account's own, the environment's."""
    from extractor import i18n

    return i18n.choose(os.environ.get("EXTRACTOR_LANG"), account_language or SIGNED_IN.get("language"),
                       i18n.from_environment())


def say(message: str, lang: str | None = None) -> str:
    """A Message in the command's language (any other text as it is)."""
    from extractor import i18n

    return i18n.said(message, lang or speaking())


def friendly(fn: F) -> F:
    """Turn every failure into one line and exit code 2 (bad input) or 1 (a bug), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ExtractorError as exc:
            from extractor.i18n import Message, gettext_for

            lang = speaking()
            said = say(exc.args[0], lang) if exc.args and isinstance(exc.args[0], Message) else str(exc)
            err.print(f"{gettext_for(lang)(ERROR)}: {_scrub(said)}", markup=False, highlight=False,
                      soft_wrap=True)
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


def run_app(app: typer.Typer, args: list[str] | None = None) -> int:
    """Run the command line with a mistyped option, value, argument or command said in one line (exit code 2)
    like every other bad input, instead of the boxed usage text."""
    import sys

    try:
        code = app(args=args, standalone_mode=False)
    except typer.Abort:
        print("error: stopped", file=sys.stderr)
        return 1
    except typer.TyperException as exc:  # the command line's own errors (typer's click): usage, bad values
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "extractor"
        status = int(getattr(exc, "exit_code", 2))
        text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        hint = f" (see {command} --help)" if status == 2 else ""
        print(f"error: {command}: {' '.join(text.split())}{hint}", file=sys.stderr)
        return status
    return code if isinstance(code, int) else 0


_OWN_LANG = ("deidentify", "users", "catalog")


def lang_first(argv: list[str]) -> list[str]:
    """`extractor run --lang fi …` as `extractor --lang fi run …`: users put the option where they reach for it.
    Commands with a --lang of their own keep it (the notes' language, an account's, a codebook's)."""
    commands = [i for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] != "--lang")]
    if not commands or argv[commands[0]] in _OWN_LANG:
        return argv
    head, rest, i = argv[:commands[0]], [], commands[0]
    while i < len(argv):
        if argv[i] == "--lang" and i + 1 < len(argv):
            head += argv[i:i + 2]
            i += 2
            continue
        if argv[i].startswith("--lang="):
            head.append(argv[i])
        else:
            rest.append(argv[i])
        i += 1
    return head + rest
