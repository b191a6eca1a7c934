"""A PostgreSQL server front door that demands a password and refuses it, byte for byte as
PostgreSQL does (the protocol's startup, AuthenticationCleartextPassword, then an
ErrorResponse with SQLSTATE 28P01). The PostgreSQL of this machine trusts every local
connection, so it can never refuse a password itself."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

SSL_REQUEST = 80877103


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def _refusal(user: str) -> bytes:
    fields = [
        b"SFATAL",
        b"VFATAL",
        b"C28P01",
        f'Mpassword authentication failed for user "{user}"'.encode(),
    ]
    return _message(b"E", b"\0".join(fields) + b"\0\0")


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            (length,) = struct.unpack("!I", await reader.readexactly(4))
            body = await reader.readexactly(length - 4)
            if struct.unpack("!I", body[:4])[0] == SSL_REQUEST:
                writer.write(b"N")  # no TLS here
                continue
            parts = body[4:].split(b"\0")
            params = dict(zip(parts[0::2], parts[1::2], strict=False))
            user = params.get(b"user", b"").decode()
            break
        writer.write(_message(b"R", struct.pack("!I", 3)))  # cleartext password, please
        await writer.drain()
        await reader.readexactly(1)  # 'p'
        (length,) = struct.unpack("!I", await reader.readexactly(4))
        await reader.readexactly(length - 4)
        writer.write(_refusal(user))
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@asynccontextmanager
async def password_refusing_server() -> AsyncIterator[int]:
    """Its port on 127.0.0.1."""
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
