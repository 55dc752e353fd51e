"""Which store the daemon and the CLI open: ``[store] url`` / ``$INGEST_DATABASE_URL`` select
PostgreSQL; SQLite stays the default. The key is checked like every other."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from store_backends import scratch_database

from ingest.cli import main
from ingest.config import load_config, parse_config
from ingest.daemon import open_store
from ingest.errors import ConfigError
from ingest.store import Store
from ingest.store.select import ENV_DATABASE_URL, database_url

POSTGRES = "postgresql://ingest@db.internal:5432/ingest"


def test_store_url_is_read_and_checked() -> None:
    config = parse_config({"store": {"url": POSTGRES}}, file="conf.toml", environ={})
    assert config.store.url == POSTGRES
    assert parse_config({}, file="conf.toml", environ={}).store.url is None
    with pytest.raises(ConfigError, match="postgresql://") as caught:
        parse_config({"store": {"url": "mysql://u:pw@h/db"}}, file="conf.toml", environ={})
    assert (caught.value.file, caught.value.key) == ("conf.toml", "store.url")
    assert "pw" not in str(caught.value)
    with pytest.raises(ConfigError, match="expected a string") as caught:
        parse_config({"store": {"url": 5432}}, file="conf.toml", environ={})
    assert caught.value.key == "store.url"


def test_the_environment_beats_the_file_and_is_checked() -> None:
    assert database_url(None, {}) is None
    assert database_url(POSTGRES, {}) == POSTGRES
    other = "postgres://other@127.0.0.1/x"
    assert database_url(POSTGRES, {ENV_DATABASE_URL: other}) == other
    with pytest.raises(ConfigError) as caught:
        database_url(None, {ENV_DATABASE_URL: "sqlite:///x.db"})
    assert caught.value.key == ENV_DATABASE_URL


def test_sqlite_stays_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    config = parse_config({}, file="conf.toml", environ={})
    store = open_store(config, tmp_path / "x.db", sync=False)
    try:
        assert isinstance(store, Store) and (tmp_path / "x.db").is_file()
    finally:
        store.close()


def test_the_database_url_opens_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon's open_store syncs the config's sources into PostgreSQL; the CLI then reads
    them from there, by the file's key or by the variable; no SQLite file is made."""
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    with scratch_database() as url:
        text = f'[store]\nurl = "{url}"\n\n[[sources]]\nname = "wire"\n'
        text += 'url = "https://wire.example/feed.xml"\n'
        (tmp_path / "ingest.toml").write_text(text)
        config = load_config(tmp_path / "ingest.toml")
        store = open_store(config, tmp_path / "never.db", sync=True)
        try:
            assert type(store).__name__ == "PostgresStore"
            assert [s.name for s in store.list_sources()] == ["wire"]
        finally:
            store.close()
        runner = CliRunner()
        db = str(tmp_path / "never.db")
        args = ["--db", db, "sources", "--json"]
        done = runner.invoke(main, ["--config", str(tmp_path / "ingest.toml"), *args])
        assert done.exit_code == 0, done.output
        assert '"wire"' in done.output
        (tmp_path / "plain.toml").write_text("")
        monkeypatch.setenv(ENV_DATABASE_URL, url)
        done = runner.invoke(main, ["--config", str(tmp_path / "plain.toml"), *args])
        assert done.exit_code == 0, done.output
        assert '"wire"' in done.output
        assert not (tmp_path / "never.db").exists()


def test_backup_of_an_unreachable_postgres_store_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ingest backup` with a database URL nobody answers: a clear error, no file."""
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://ingest@127.0.0.1:9/ingest")
    (tmp_path / "plain.toml").write_text("")
    done = CliRunner().invoke(
        main, ["--config", str(tmp_path / "plain.toml"), "backup", str(tmp_path / "copy.dump")]
    )
    assert done.exit_code != 0, done.output
    assert "127.0.0.1" in done.output and not (tmp_path / "copy.dump").exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "plain.toml"]
