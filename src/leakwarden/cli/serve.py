"""``leakwarden serve``: bind, say where, then run one process or N workers.

The socket is bound here, before anything starts, so that a port in use is one line and exit 2, and
so that the address printed is the real one (``--port 0`` picks a free port). One worker runs the
app made here; N workers each make their own from the environment set here
(``leakwarden.service.app:app_from_env``), all accepting on the one socket, with their Prometheus
figures summed through a shared ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import os
import socket
import tempfile

import typer

from leakwarden import logsetup
from leakwarden.errors import InvalidInput


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Connections accepted on a socket handed to uvicorn keep the listener's options: without
    # TCP_NODELAY every response waited ~40 ms for the client's delayed ACK (Nagle's algorithm
    # holding the body behind the headers), whatever the work behind it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InvalidInput(f"cannot listen on {host}:{port}: {reason}", code="cannot_listen") from None
    sock.set_inheritable(True)
    return sock


def listening_line(sock: socket.socket, workers: int) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    plural = "worker" if workers == 1 else "workers"
    return (f"leakwarden: listening on http://{shown}:{port} ({workers} {plural}; "
            f"docs http://{shown}:{port}/docs, metrics /metrics)")


def sso_environment(issuer: str | None, client_id: str | None, secret_file: str | None, roles: list[str] | None,
                    password_login: bool | None) -> None:
    """``serve``'s ``--oidc-*`` options into the environment that every worker reads
    (``SsoSettings.from_env``); an option left out keeps the variable's value."""
    from leakwarden.service.console.sso import ENV

    given = {"issuer": issuer, "client_id": client_id, "secret_file": secret_file,
             "roles": " ".join(roles) if roles else None,
             "password_login": None if password_login is None else "1" if password_login else "0"}
    os.environ.update({ENV[name]: value for name, value in given.items() if value is not None})


def run_server(*, db: str | None, create: bool, policy: str | None, follow: bool, host: str, port: int,
               workers: int, access_log: bool, log_format: str | None) -> None:
    import uvicorn

    from leakwarden.cli.core import open_engine

    try:
        fmt = logsetup.log_format(log_format)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_log_format") from None
    logsetup.configure(fmt, access_log=access_log)
    from leakwarden.service.console.sso import SsoSettings

    SsoSettings.from_env()  # a bad sign-on configuration is refused before anything starts

    if workers == 1:
        from leakwarden.service.app import create_app

        app = create_app(open_engine(db, policy, follow, create), access_log=access_log, seal_in_background=True)
        sock = bind(host, port)
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False)
    else:
        from leakwarden.cli.common import open_db
        from leakwarden.policy.load import load_policy

        open_db(db, create).dispose()  # refuse a missing database (or make it) before any worker starts
        load_policy(policy)  # and a bad policy
        if os.environ.get("LEAKWARDEN_BROKER_URL"):  # and a broker URL of an unknown kind
            from leakwarden.intake.broker import parse_broker_url

            parse_broker_url(os.environ["LEAKWARDEN_BROKER_URL"])
        env = {"LEAKWARDEN_LOG_FORMAT": fmt, "LEAKWARDEN_ACCESS_LOG": "1" if access_log else "0",
               "LEAKWARDEN_FOLLOW_LINKS": os.environ.get("LEAKWARDEN_FOLLOW_LINKS", "1") if follow else "0"}
        if db is not None:
            env["LEAKWARDEN_DATABASE_URL"] = db
        if policy is not None:
            env["LEAKWARDEN_POLICY"] = policy
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="leakwarden-metrics-")
        os.environ.update(env)
        sock = bind(host, port)
        config = uvicorn.Config("leakwarden.service.app:app_from_env", factory=True, workers=workers,
                                log_config=None, log_level="warning", access_log=False)
    typer.echo(listening_line(sock, workers))
    if workers == 1:
        from leakwarden.service.app import settle_heap

        settle_heap()
        uvicorn.Server(config).run(sockets=[sock])
    else:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
