"""`extractor users …` (accounts, their projects and roles) and `extractor serve` (the airlock in a browser)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from extractor.cli_airlock import OutRoot, State
from extractor.cli_support import friendly, out
from extractor.errors import ExtractorError

users_app = typer.Typer(no_args_is_help=True, help="Accounts of the airlock and their projects.")


def _password(name: str) -> str:
    return os.environ.get("EXTRACTOR_PASSWORD") or typer.prompt(f"Password for {name}", hide_input=True,
                                                                confirmation_prompt=True)


@users_app.command("add")
@friendly
def users_add(name: Annotated[str, typer.Argument(help="The account name (case and width do not matter)")],
              admin: Annotated[bool, typer.Option("--admin", help="The DPO: sees and checks every project")] = False,
              email: Annotated[str, typer.Option(help="Their e-mail: a run whose request gives it as the contact "
                                                      "counts as their own (no self-review)")] = "",
              lang: Annotated[str, typer.Option("--lang", help="The airlock's language for them: fi, sv or en "
                                                "(else their browser's)")] = "",
              out_root: OutRoot = Path("out"), state: State = None) -> None:
    """Add an account; the password comes from EXTRACTOR_PASSWORD or is asked for (never on the command line)."""
    from extractor.release.accounts import add_account, set_language
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        normal = add_account(store, name, _password(name), admin=admin, email=email)
        if lang:
            set_language(store, normal, lang)
    out.print(f"account {normal} added" + (" (admin)" if admin else "") + "; give it projects with `users grant`")


@users_app.command("grant")
@friendly
def users_grant(name: Annotated[str, typer.Argument(help="The account")],
                project: Annotated[str, typer.Option(help="The request's project id ('*': every project, checkers)")],
                role: Annotated[str, typer.Option(help="requester, checker, or none to take the role away")],
                out_root: OutRoot = Path("out"), state: State = None) -> None:
    """Make an account a requester or an output checker of a project (one account is never both)."""
    from extractor.release.accounts import grant
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        grant(store, name, project, role)
    out.print(f"account {name}: {role} of {project}")


@users_app.command("password")
@friendly
def users_password(name: Annotated[str, typer.Argument(help="The account")], out_root: OutRoot = Path("out"),
                   state: State = None) -> None:
    """Set a new password (from EXTRACTOR_PASSWORD or a prompt)."""
    from extractor.release.accounts import set_password
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        set_password(store, name, _password(name))
    out.print(f"account {name}: password changed")


@users_app.command("language")
@friendly
def users_language(name: Annotated[str, typer.Argument(help="The account")],
                   lang: Annotated[str, typer.Argument(help="fi, sv or en")], out_root: OutRoot = Path("out"),
                   state: State = None) -> None:
    """The language the airlock speaks to an account (a page's language links still switch it)."""
    from extractor.release.accounts import set_language
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        set_language(store, name, lang)
    out.print(f"account {name}: language {lang}")


@users_app.command("disable")
@friendly
def users_disable(name: Annotated[str, typer.Argument(help="The account")], out_root: OutRoot = Path("out"),
                  state: State = None,
                  enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead")] = False) -> None:
    """Disable an account (it can no longer sign in or act); --enable undoes it."""
    from extractor.release.accounts import set_disabled
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        set_disabled(store, name, not enable)
    out.print(f"account {name}: {'enabled' if enable else 'disabled'}")


@users_app.command("list")
@friendly
def users_list(out_root: OutRoot = Path("out"), state: State = None) -> None:
    """Every account with its projects and roles."""
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        for a in sorted(store.reading().accounts.values(), key=lambda a: a.name):
            roles = ", ".join(f"{role} of {p}" for p, role in sorted(a.projects.items())) or "no projects"
            flags = " admin" if a.admin else ""
            out.print(f"{a.name}{flags}{' (disabled)' if a.disabled else ''}: {roles}", markup=False, highlight=False)


@friendly
def serve(out_root: OutRoot = Path("out"), state: State = None,
          to: Annotated[Path, typer.Option("--to", help="Where approved runs are released")] = Path("released"),
          host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8765,
          allowed_host: Annotated[list[str] | None, typer.Option(
              help="A Host header the airlock answers to (repeat; default: the listening address and localhost)")
          ] = None,
          trusted_header: Annotated[str | None, typer.Option(
              help="Take the user from this header, set by the single sign-on proxy in front (off by default); "
                   "needs --trusted-proxy and EXTRACTOR_PROXY_SECRET")] = None,
          trusted_proxy: Annotated[list[str] | None, typer.Option(
              help="The proxy's address: the only peer whose user header is believed (repeat)")] = None,
          session_minutes: Annotated[int, typer.Option(min=1, help="Sign out after this long idle")] = 30,
          session_hours: Annotated[int, typer.Option(min=1, help="Sign out after this long in any case")] = 8,
          tls_cert: Annotated[Path | None, typer.Option(help="Serve HTTPS with this certificate (PEM)")] = None,
          tls_key: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM)")] = None,
          behind_tls_proxy: Annotated[bool, typer.Option(
              help="A proxy in front terminates HTTPS: send Secure cookies and HSTS anyway")] = False,
          catalog: Annotated[Path | None, typer.Option(
              help="The controller's catalog (as the runner's): a request handed in is checked against it at "
                   "once, its names and SQL, reading no data")] = None,
          policy: Annotated[Path | None, typer.Option(help="The controller's policy, with --catalog")] = None
          ) -> None:
    """The airlock in a browser: queue, runs, decisions, release, audit log."""
    import uvicorn

    from extractor.web.app import create_app
    from extractor.web.settings import settings_from

    settings = settings_from(out_root, to, state=state, host=host, port=port, allowed_hosts=allowed_host,
                             trusted_header=trusted_header, trusted_proxies=trusted_proxy,
                             session_minutes=session_minutes, session_hours=session_hours,
                             tls=tls_cert is not None or behind_tls_proxy, catalog=catalog, policy=policy)
    scheme = "https" if tls_cert else "http"
    sock = _listening(host, port)  # before the announcement: a port in use is a one-line error, exit 2
    out.print(f"airlock for {settings.out_root} on {scheme}://{host}:{port}/ (Ctrl-C stops it)")
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning", proxy_headers=False,
                            ssl_certfile=str(tls_cert) if tls_cert else None,
                            ssl_keyfile=str(tls_key) if tls_key else None)
    uvicorn.Server(config).run(sockets=[sock])


def _listening(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening, or a one-line error naming the address."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        raise ExtractorError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc}); choose "
                             "another --port, or stop the program that listens on it") from None
    return sock
