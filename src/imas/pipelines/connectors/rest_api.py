"""An HTTP JSON API, read with httpx. `get()` is what the `rest_extract` step calls."""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
import polars as pl
from pydantic import Field, field_validator, model_validator

from imas.pipelines.connectors.base import (
    Connector,
    ConnectorConfig,
    ConnectorCredentials,
    ConnectorFailed,
    SchemaInfo,
)
from imas.pipelines.connectors.errors import os_reason, timed_out
from imas.pipelines.connectors.frames import add_frame


class RestApiConfig(ConnectorConfig):
    base_url: str
    headers: dict[str, str] = Field(default_factory=dict)
    health_path: str = ""
    """Path `test()` reads ("": the base URL itself)."""
    sample_path: str = ""
    """Path `schema()` reads records from ("": the base URL itself)."""
    records_path: str = ""
    """Dotted path to the list of records in an answer (`data.items`; "": the body is the list)."""
    verify_tls: bool = True

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        if parts.username or parts.password:
            raise ValueError("must not hold credentials: put them in `credentials`")
        return value.rstrip("/")


class RestApiCredentials(ConnectorCredentials):
    """One way to authenticate (or none): a Bearer token, Basic username + password, or an
    API key sent in `api_key_header`."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    api_key_header: str = "X-API-Key"

    @model_validator(mode="after")
    def _one_method(self) -> RestApiCredentials:
        methods = [self.token, self.username, self.api_key]
        if sum(m is not None for m in methods) > 1:
            raise ValueError("give one of token, username + password, api_key")
        if self.password is not None and self.username is None:
            raise ValueError("password needs a username")
        return self


def dig(body: Any, path: str) -> Any:
    """The value at dotted `path` in a JSON body (`data.items`; "" is the body itself)."""
    value = body
    for part in [p for p in path.split(".") if p]:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def records_of(body: Any, path: str) -> list[dict[str, Any]]:
    """The records (JSON objects) at `path`; raises `ConnectorFailed` if it is not a list."""
    found = dig(body, path)
    if not isinstance(found, list):
        where = f"at {path!r}" if path else "as the body"
        raise ConnectorFailed(f"the answer has no list of records {where}")
    return [r if isinstance(r, dict) else {"value": r} for r in found]


def _root_os_error(exc: BaseException) -> OSError | None:
    """The innermost OSError behind an httpx error (`ConnectionRefusedError`, `gaierror`)."""
    found: OSError | None = None
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            found = seen
        seen = seen.__cause__ or seen.__context__
    return found


class RestApiConnector(Connector):
    kind: ClassVar[str] = "rest_api"
    family: ClassVar[Literal["sql", "rest", "s3"]] = "rest"
    Config = RestApiConfig
    Credentials = RestApiCredentials

    config: RestApiConfig
    credentials: RestApiCredentials
    _client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        """One client per connector (its connections reused), closed by `close()`."""
        if self._client is None:
            headers = dict(self.config.headers)
            auth: httpx.BasicAuth | None = None
            creds = self.credentials
            if creds.token is not None:
                headers["Authorization"] = f"Bearer {creds.token}"
            elif creds.api_key is not None:
                headers[creds.api_key_header] = creds.api_key
            elif creds.username is not None:
                auth = httpx.BasicAuth(creds.username, creds.password or "")
            self._client = httpx.AsyncClient(
                base_url=self.config.base_url + "/",
                headers=headers,
                auth=auth,
                verify=self.config.verify_tls,
                timeout=self.timeout,
                trust_env=False,
                follow_redirects=True,
            )
        return self._client

    def url(self, path: str) -> str:
        """`path` resolved against the base URL ("" is the base URL)."""
        return f"{self.config.base_url}/{path.lstrip('/')}" if path else self.config.base_url

    def same_origin(self, url: str) -> bool:
        """Whether `url` is on the base URL's scheme, host and port (the only place the
        credentials may be sent, e.g. when following a `next` link)."""
        a, b = urlsplit(url), urlsplit(self.config.base_url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    async def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET `url` (absolute, or a path under the base URL); a 2xx answer, else
        `ConnectorFailed` ("HTTP 401 Unauthorized from GET http://..."), never a credential."""
        target = httpx.URL(url if "://" in url else self.url(url))
        if params:  # merged with a query the URL already has (`/items?page_size=100`)
            target = target.copy_merge_params(params)
        try:
            response = await self.client().get(target)
        except httpx.TimeoutException:
            raise ConnectorFailed(f"{timed_out(self.timeout)} (GET {target})") from None
        except httpx.TransportError as exc:
            root = _root_os_error(exc)
            why = os_reason(root) if root is not None else (str(exc) or "failed")
            raise ConnectorFailed(f"{why} (GET {target})") from None
        except httpx.HTTPError as exc:
            raise ConnectorFailed(f"{exc} (GET {target})") from None
        if not response.is_success:
            snippet = response.text[:200].strip()
            where = response.request.url.copy_with(query=None)
            message = f"HTTP {response.status_code} {response.reason_phrase} from GET {where}"
            raise ConnectorFailed(f"{message}: {snippet}" if snippet else message)
        return response

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        response = await self.get(url, params)
        try:
            return response.json()
        except ValueError:
            raise ConnectorFailed(f"the answer of GET {response.request.url} is not JSON") from None

    async def test(self) -> str:
        await self.get(self.config.health_path)
        return "Connection successful"

    async def schema(self) -> SchemaInfo:
        body = await self.get_json(self.config.sample_path)
        records = records_of(body, self.config.records_path)
        info = SchemaInfo()
        table = self.config.sample_path.strip("/") or "records"
        try:
            frame = pl.from_dicts(records, infer_schema_length=None) if records else pl.DataFrame()
        except pl.exceptions.PolarsError as exc:
            raise ConnectorFailed(f"the records cannot be read as a table: {exc}") from None
        add_frame(info, table, frame)
        if table not in info.columns:  # no records: the table exists, its columns are unknown
            info.tables.append(table)
            info.columns[table] = []
            info.data_types[table] = {}
        return info

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
