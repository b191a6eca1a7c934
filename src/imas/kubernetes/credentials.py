"""A cluster's credentials: read from the request (a bearer token, or an uploaded kubeconfig's
context), sealed at rest with Fernet under a key derived from `IMAS_SECRET_KEY` (see
`imas.crypto`; previous keys in `IMAS_PREVIOUS_SECRET_KEYS` still open them).

An uploaded kubeconfig is read, not trusted: only inline values are taken (server, CA data,
`insecure-skip-tls-verify`, a token or a client certificate and key). A user entry that runs a
command (`exec`, `auth-provider`) or names a file on disk (`tokenFile`, `client-certificate`,
`certificate-authority`) is refused, since it would run or read on the IMAS host."""

from __future__ import annotations

import base64
import binascii
import json
import ssl
from dataclasses import dataclass
from typing import Any

import yaml

from imas import crypto
from imas.config import Settings
from imas.errors import ValidationFailed

_PURPOSE = crypto.Purpose(salt=b"imas.kubernetes", info=b"cluster credentials")
TOKEN = "token"  # noqa: S105  (an auth method's name)
CLIENT_CERTIFICATE = "client_certificate"
_REFUSED_USER_KEYS = ("exec", "auth-provider", "tokenFile", "client-certificate", "client-key")


class CredentialsUnreadable(Exception):
    pass


@dataclass(frozen=True)
class Access:
    """What connecting to a cluster takes, as read from a request."""

    api_server_url: str | None
    auth_method: str
    credentials: dict[str, str]
    ca_cert: str | None = None
    insecure_skip_tls_verify: bool | None = None


def seal(credentials: dict[str, str], settings: Settings) -> str:
    return crypto.encrypt(json.dumps(credentials), settings.secret_key, _PURPOSE)


def open_(sealed: str, settings: Settings) -> dict[str, str]:
    for key in (settings.secret_key, *settings.previous_secret_keys):
        try:
            found: dict[str, str] = json.loads(crypto.decrypt(sealed, key, _PURPOSE))
        except crypto.Unreadable:
            continue
        return found
    raise CredentialsUnreadable(
        "the cluster's credentials cannot be decrypted (IMAS_SECRET_KEY changed and the old key "
        "is not in IMAS_PREVIOUS_SECRET_KEYS): set them again"
    )


def check_ca(pem: str, field: str = "ca_cert") -> str:
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError, TypeError):  # TypeError: text that is not ASCII
        raise ValidationFailed.field(field, "not a PEM certificate") from None
    return pem


def _pem_of(data: str, field: str) -> str:
    try:
        return base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.field(field, "not base64 of a PEM certificate") from None


def _named(entries: Any, name: str, what: str) -> dict[str, Any]:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            found = entry.get(what)
            if isinstance(found, dict):
                return found
    raise ValidationFailed.field("kubeconfig", f"it has no {what} named '{name}'")


def from_kubeconfig(text: str, context: str | None) -> Access:
    """The server, CA and credentials of `context` (else the current context) of a kubeconfig."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValidationFailed.field("kubeconfig", "not YAML") from None
    if not isinstance(config, dict):
        raise ValidationFailed.field("kubeconfig", "not a kubeconfig (a YAML mapping)")
    name = context or config.get("current-context")
    if not isinstance(name, str) or not name:
        raise ValidationFailed.field("kubeconfig", "no current-context: give `context`")
    ctx = _named(config.get("contexts"), name, "context")
    cluster = _named(config.get("clusters"), str(ctx.get("cluster", "")), "cluster")
    user = _named(config.get("users"), str(ctx.get("user", "")), "user")
    refused = [k for k in _REFUSED_USER_KEYS if user.get(k)]
    if cluster.get("certificate-authority"):
        refused.append("certificate-authority")
    if refused:
        raise ValidationFailed.field(
            "kubeconfig",
            f"{', '.join(refused)} is not accepted (it runs a command or reads a file on the "
            "IMAS host): use inline data (token, client-certificate-data, "
            "certificate-authority-data)",
        )
    ca = cluster.get("certificate-authority-data")
    server = cluster.get("server")

    def access(method: str, creds: dict[str, str]) -> Access:
        return Access(
            api_server_url=server if isinstance(server, str) else None,
            auth_method=method,
            credentials=creds,
            ca_cert=check_ca(_pem_of(str(ca), "kubeconfig"), "kubeconfig") if ca else None,
            insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
        )

    if isinstance(user.get("token"), str) and user["token"]:
        return access(TOKEN, {"token": user["token"]})
    cert, key = user.get("client-certificate-data"), user.get("client-key-data")
    if isinstance(cert, str) and isinstance(key, str) and cert and key:
        return access(CLIENT_CERTIFICATE, {"client_certificate_data": cert, "client_key_data": key})
    raise ValidationFailed.field(
        "kubeconfig", f"the user of context '{name}' has neither a token nor a client certificate"
    )
