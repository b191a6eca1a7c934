from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.connectors.rest_api import RestApiConnector
from tests.pipelines.conftest import FakeRestApi


async def failure(conn: RestApiConnector) -> str:
    with pytest.raises(ConnectorFailed) as caught:
        await conn.test()
    await conn.close()
    return str(caught.value)


class TestConfig:
    def test_base_url_must_be_http(self) -> None:
        with pytest.raises(ValidationError, match="http"):
            RestApiConnector.Config.model_validate({"base_url": "ftp://example.com"})

    def test_base_url_must_not_hold_credentials(self) -> None:
        with pytest.raises(ValidationError, match="credentials"):
            RestApiConnector.Config.model_validate({"base_url": "https://u:p@example.com"})

    def test_one_authentication_method(self) -> None:
        with pytest.raises(ValidationError, match="one of"):
            RestApiConnector.Credentials.model_validate({"token": "t", "api_key": "k"})


class TestConnectionTest:
    async def test_success_with_the_bearer_token(self, rest_api: FakeRestApi) -> None:
        conn = rest_api.connector()
        assert await conn.test() == "Connection successful"
        await conn.close()

    async def test_wrong_token(self, rest_api: FakeRestApi) -> None:
        conn = RestApiConnector.create(rest_api.config(), {"token": "wrong-token"})
        message = await failure(conn)
        assert message.startswith(f"HTTP 401 Unauthorized from GET {rest_api.base_url}/health")
        assert "wrong-token" not in message

    async def test_http_error_status(self, rest_api: FakeRestApi) -> None:
        conn = rest_api.connector(health_path="/status/503")
        assert (await failure(conn)).startswith("HTTP 503 Service Unavailable")

    async def test_port_where_nothing_listens(self, closed_port: int) -> None:
        conn = RestApiConnector.create({"base_url": f"http://127.0.0.1:{closed_port}"}, {})
        assert (await failure(conn)).startswith("connection refused")

    async def test_unknown_host(self) -> None:
        conn = RestApiConnector.create({"base_url": "http://no-such-host.invalid"}, {})
        assert (await failure(conn)).startswith("cannot resolve host")

    async def test_server_that_never_answers_times_out(self, silent_port: int) -> None:
        conn = RestApiConnector.create(
            {"base_url": f"http://127.0.0.1:{silent_port}"}, {}, timeout=1
        )
        started = time.monotonic()
        assert (await failure(conn)).startswith("timed out after 1 s")
        assert time.monotonic() - started < 3


class TestSchema:
    async def test_records_at_a_path_become_one_table(self, rest_api: FakeRestApi) -> None:
        conn = rest_api.connector(sample_path="/items", records_path="results")
        info = await conn.schema()
        await conn.close()
        assert info.tables == ["items"]
        assert info.columns["items"] == ["id", "name", "amount", "updated_at"]
        assert info.data_types["items"]["id"] == {"type": "int64", "nullable": True}
        assert info.data_types["items"]["amount"]["type"] == "float64"
        assert info.data_types["items"]["name"]["type"] == "string"

    async def test_a_bare_list_from_the_base_url_is_named_records(
        self, rest_api: FakeRestApi
    ) -> None:
        conn = RestApiConnector.create(
            {"base_url": rest_api.base_url + "/list"}, {"token": "s3cr3t-token"}
        )
        info = await conn.schema()
        await conn.close()
        assert info.tables == ["records"]
        assert len(info.columns["records"]) == 4

    async def test_no_list_at_the_records_path_fails(self, rest_api: FakeRestApi) -> None:
        conn = rest_api.connector(sample_path="/items", records_path="data.rows")
        with pytest.raises(ConnectorFailed, match=r"no list of records at 'data\.rows'"):
            await conn.schema()
        await conn.close()
