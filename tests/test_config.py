"""Settings: no secret has a built-in default."""

from __future__ import annotations

import stat

from imas.config import Settings


def test_missing_secret_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("IMAS_SECRET_KEY", raising=False)
    first = Settings(var_dir=tmp_path, database_url="sqlite+aiosqlite:///x.db")
    second = Settings(var_dir=tmp_path, database_url="sqlite+aiosqlite:///x.db")
    assert len(first.secret_key) >= 48
    assert first.secret_key == second.secret_key
    kept = tmp_path / "secret_key"
    assert kept.read_text() == first.secret_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_two_installs_get_different_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("IMAS_SECRET_KEY", raising=False)
    a = Settings(var_dir=tmp_path / "a", database_url="sqlite+aiosqlite:///x.db")
    b = Settings(var_dir=tmp_path / "b", database_url="sqlite+aiosqlite:///x.db")
    assert a.secret_key != b.secret_key


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAS_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("IMAS_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    settings = Settings(var_dir=tmp_path)
    assert settings.secret_key == "from-the-environment"
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_under_var(tmp_path, monkeypatch):
    monkeypatch.delenv("IMAS_DATABASE_URL", raising=False)
    settings = Settings(var_dir=tmp_path)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/imas.db"


def test_bad_rate_limit_is_refused(tmp_path):
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="rate_limit_api"):
        Settings(var_dir=tmp_path, rate_limit_api="lots per day")
