"""Turning a driver's exception into the reason a person reads in `ConnectorFailed`.

Only the driver's own message is kept (never the SQL statement and bound values SQLAlchemy adds
to its wrappers, never a URL with its password)."""

from __future__ import annotations

import socket

from sqlalchemy.exc import DBAPIError


def timed_out(timeout: float) -> str:
    return f"timed out after {timeout:g} s"


def os_reason(exc: OSError) -> str:
    """`connection refused`, `cannot resolve host (Name or service not known)`..."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host ({exc.strerror or exc})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__


def sql_reason(exc: BaseException, timeout: float) -> str:
    """The reason of a failure seen through SQLAlchemy (asyncpg, aiomysql/PyMySQL)."""
    if isinstance(exc, TimeoutError):
        return timed_out(timeout)
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        orig: BaseException = exc.orig
        cause = orig.__cause__
        args = orig.args
        # PyMySQL: (code, message); the OS error behind "Can't connect" is its cause.
        message = str(args[1]) if len(args) == 2 and isinstance(args[0], int) else str(orig)
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            message = f"{message} ({os_reason(cause)})"
        elif isinstance(cause, TimeoutError):
            message = f"{message} ({timed_out(timeout)})"
        return message.strip() or type(orig).__name__
    if isinstance(exc, OSError):
        return os_reason(exc)
    return str(exc).strip() or type(exc).__name__
