"""Append-only schema migrations. Never edit a released migration: add a new one below.

Plain SQL kept close to what PostgreSQL accepts (TEXT timestamps in ISO 8601 UTC, INTEGER
primary keys) so the store can move there; the SQLite-only parts (FTS5) are isolated.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("ingest")


@migrations()
def m001_core(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,                          -- where it is fetched (follows 301/308)
            declared_url TEXT NOT NULL,                 -- what the operator wrote
            origin TEXT NOT NULL DEFAULT 'config',      -- config | opml | cli
            tags TEXT NOT NULL DEFAULT '[]',            -- JSON list
            interval_s REAL,                            -- operator's interval; NULL = default
            enabled INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'new',
            last_checked TEXT,
            last_success TEXT,
            next_check TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_error_kind TEXT,
            last_status INTEGER,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            adaptive_interval_s REAL,
            lease_owner TEXT,                           -- which daemon is checking it now
            lease_until TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX sources_due ON sources (enabled, next_check);

        CREATE TABLE fetch_log (
            id INTEGER PRIMARY KEY,
            source_id INTEGER REFERENCES sources (id),
            url TEXT NOT NULL,
            kind TEXT NOT NULL,                         -- feed | article
            started_at TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            error_kind TEXT,
            error TEXT,
            new_entries INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX fetch_log_source ON fetch_log (source_id, started_at);

        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources (id),
            entry_key TEXT NOT NULL,
            guid TEXT,
            link TEXT,
            title TEXT,
            published TEXT,
            fingerprint TEXT,                           -- hash of the entry as the feed gave it
            status TEXT NOT NULL,                       -- stored | rejected | failed
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,        -- fetches tried (failed pages retry)
            article_id INTEGER REFERENCES articles (id),
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            UNIQUE (source_id, entry_key)
        );
        CREATE INDEX entries_guid ON entries (guid);

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            canonical_url TEXT NOT NULL UNIQUE,
            guid TEXT,
            source_id INTEGER REFERENCES sources (id),
            title TEXT,
            author TEXT,
            published TEXT,
            language TEXT,
            fetched_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            text_length INTEGER NOT NULL,
            extraction TEXT NOT NULL,                   -- page | feed
            extraction_note TEXT,
            duplicate_of INTEGER REFERENCES articles (id),
            revision INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX articles_text_hash ON articles (text_hash);
        CREATE INDEX articles_guid ON articles (guid);
        CREATE INDEX articles_duplicate_of ON articles (duplicate_of);
        CREATE INDEX articles_fetched_at ON articles (fetched_at);

        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            revision INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            title TEXT,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            diff TEXT,
            UNIQUE (article_id, revision)
        );

        CREATE TABLE raw_pages (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            revision INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            encoding TEXT NOT NULL DEFAULT 'zlib',
            html BLOB NOT NULL
        );
        CREATE INDEX raw_pages_fetched_at ON raw_pages (fetched_at);
        CREATE INDEX raw_pages_article ON raw_pages (article_id);
        """
    )


@migrations()
def m002_article_search(db: Database) -> None:
    # FTS5 is SQLite's; a PostgreSQL store would use a tsvector column instead.
    db.table("articles").enable_fts(["title", "text"], fts_version="FTS5", create_triggers=True)


@migrations()
def m003_neardup_index(db: Database) -> None:
    # Frozen copy of the band index DDL as released (ingest.store.neardup.NEARDUP_DDL then):
    # a later edit of the store module must not change what this migration built.
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS neardup_band (
            band_key INTEGER NOT NULL,      -- signed 63-bit, from ingest.dedup.band_keys
            article_id INTEGER NOT NULL,    -- articles.id of a story or revised article
            PRIMARY KEY (band_key, article_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS neardup_meta (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations()
def m004_figures(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE figures (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            revision INTEGER NOT NULL,
            position INTEGER NOT NULL,                  -- order in the text; equivalent_of uses it
            text TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            sentence TEXT NOT NULL,
            value REAL NOT NULL,
            unit TEXT NOT NULL,
            noun TEXT,
            qualifier TEXT NOT NULL,
            low REAL,
            high REAL,
            subject TEXT,
            metric TEXT,
            period TEXT,
            equivalent_of INTEGER,
            value_usd REAL,
            created_at TEXT NOT NULL,
            UNIQUE (article_id, revision, position)
        );
        CREATE INDEX figures_metric ON figures (metric, subject);
        CREATE INDEX figures_article ON figures (article_id, revision);

        -- Which revisions went through the extractor, so none is skipped and none done twice.
        CREATE TABLE figure_runs (
            article_id INTEGER NOT NULL REFERENCES articles (id),
            revision INTEGER NOT NULL,
            figures INTEGER NOT NULL,
            PRIMARY KEY (article_id, revision)
        );
        """
    )


@migrations()
def m005_article_revisits(db: Database) -> None:
    # When an article's page was last fetched: stored pages are re-fetched for a while after
    # publication to catch in-place corrections that the feed does not announce.
    db.execute("ALTER TABLE articles ADD COLUMN checked_at TEXT")
    db.execute("CREATE INDEX articles_checked ON articles (fetched_at, checked_at)")


@migrations()
def m006_alerts(db: Database) -> None:
    # Frozen copy of the outbox DDL as released; sqlite-utils runs the script inside the
    # migration transaction.
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY,                     -- the finding's id
            uid TEXT NOT NULL UNIQUE,                   -- webhook-id, the same on every retry
            kind TEXT NOT NULL,                         -- new | changed | conflict | revised
            subject TEXT,
            metric TEXT,
            finding TEXT NOT NULL,                      -- the finding's JSON record
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS alert_digests (
            id TEXT PRIMARY KEY,                        -- dig_<hash of target and member uids>
            target TEXT NOT NULL,
            status TEXT NOT NULL,                       -- pending | sent | dead | disabled
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            horizon_from TEXT NOT NULL,
            lease_owner TEXT,
            lease_until TEXT,
            last_attempt TEXT,
            last_status INTEGER,
            last_error TEXT,
            sent_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS alert_deliveries (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts (id),
            target TEXT NOT NULL,                       -- target name from [alerts]
            status TEXT NOT NULL,                       -- pending | sent | dead | disabled
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            horizon_from TEXT NOT NULL,                 -- created, or re-queued by `alerts retry`
            digest_id TEXT REFERENCES alert_digests (id),
            lease_owner TEXT,
            lease_until TEXT,
            last_attempt TEXT,
            last_status INTEGER,
            last_error TEXT,
            sent_at TEXT,
            UNIQUE (alert_id, target)
        );
        CREATE INDEX IF NOT EXISTS alert_deliveries_due
            ON alert_deliveries (target, status, next_attempt);
        CREATE INDEX IF NOT EXISTS alert_deliveries_digest ON alert_deliveries (digest_id);
        CREATE INDEX IF NOT EXISTS alert_digests_due
            ON alert_digests (target, status, next_attempt);
        CREATE TABLE IF NOT EXISTS alert_targets (
            name TEXT PRIMARY KEY,
            disabled_at TEXT,                           -- set by a 410 Gone; cleared by a retry
            reason TEXT
        );

        """
    )


@migrations()
def m007_findings(db: Database) -> None:
    # Frozen copy of the claims and findings DDL as released.
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS claims (
            id INTEGER PRIMARY KEY,
            subject TEXT NOT NULL,                      -- '' when the text names none
            metric TEXT NOT NULL,
            period TEXT NOT NULL,                       -- normalised; '' when none
            current_value_id INTEGER,
            current_low REAL,                           -- interval of the current value,
                                                        --   in basis units
            current_high REAL,
            basis TEXT,                                 -- USD for converted money, else the unit
            current_value REAL,                         -- as written, in unit
            current_unit TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            UNIQUE (subject, metric, period)
        );
        CREATE TABLE IF NOT EXISTS claim_values (
            id INTEGER PRIMARY KEY,
            claim_id INTEGER NOT NULL REFERENCES claims (id),
            status TEXT NOT NULL,                       -- current | contender | previous
            low REAL NOT NULL,
            high REAL NOT NULL,
            basis TEXT NOT NULL,
            currencies TEXT NOT NULL,                   -- JSON list
            figure TEXT NOT NULL,                       -- JSON: the figure that first stated it
            figure_id INTEGER REFERENCES figures (id),
            sources TEXT NOT NULL,                      -- JSON list, one {source,
                                                        --   article_id, article_url, published}
                                                        --   per distinct source
            mentions INTEGER NOT NULL DEFAULT 1,        -- statements seen, all sources
            first_seen TEXT NOT NULL,                   -- publication time of the first statement
            as_of TEXT NOT NULL,                        -- publication time of the newest statement
            last_seen TEXT NOT NULL                     -- when we last saw it stated
        );
        CREATE INDEX IF NOT EXISTS claim_values_claim ON claim_values (claim_id, status);
        CREATE TABLE IF NOT EXISTS findings (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT,
            metric TEXT NOT NULL,
            period TEXT,
            claim_id INTEGER REFERENCES claims (id),
            value_id INTEGER REFERENCES claim_values (id),
            article_id INTEGER REFERENCES articles (id),
            figure_id INTEGER REFERENCES figures (id),
            data TEXT NOT NULL,                         -- the JSON record (docs/findings.md)
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS findings_created ON findings (created_at);
        CREATE INDEX IF NOT EXISTS findings_metric ON findings (metric, subject);
        """
    )


@migrations()
def m008_source_site_url(db: Database) -> None:
    # The site a feed belongs to (OPML htmlUrl): shown by `ingest sources --json`, so an
    # imported subscription list keeps what the feed reader knew about each feed.
    db.execute("ALTER TABLE sources ADD COLUMN site_url TEXT")


@migrations()
def m009_sources_url_index(db: Database) -> None:
    # `add_source` looks a URL up once per OPML outline: without this, an import is quadratic.
    db.execute("CREATE INDEX sources_url ON sources (url)")


@migrations()
def m010_source_credentials(db: Database) -> None:
    # A feed URL's `user:password@` lives here, apart from every URL that is stored, logged and
    # shown (sources.url, declared_url, fetch_log.url). `host` is the host it was given for:
    # it is never sent to another one (a source moved by a 301 to a new host goes without).
    from ingest.urls import split_userinfo, url_host

    db.execute(
        """CREATE TABLE source_credentials (
            source_id INTEGER PRIMARY KEY REFERENCES sources (id),
            host TEXT NOT NULL,
            userinfo TEXT NOT NULL
        )"""
    )
    rows = db.execute("SELECT id, url, declared_url FROM sources").fetchall()
    for source_id, url, declared in rows:
        bare, userinfo = split_userinfo(url)
        bare_declared, declared_userinfo = split_userinfo(declared)
        secret = userinfo or declared_userinfo
        if secret is None:
            continue
        db.execute(
            "INSERT INTO source_credentials (source_id, host, userinfo) VALUES (?, ?, ?)",
            (source_id, url_host(bare_declared), secret),
        )
        db.execute(
            "UPDATE sources SET url = ?, declared_url = ? WHERE id = ?",
            (bare, bare_declared, source_id),
        )
    for log_id, url in db.execute("SELECT id, url FROM fetch_log WHERE url LIKE '%@%'").fetchall():
        bare, userinfo = split_userinfo(url)
        if userinfo is not None:
            db.execute("UPDATE fetch_log SET url = ? WHERE id = ?", (bare, log_id))


@migrations()
def m011_figure_claims(db: Database) -> None:
    # Which claim each figure was judged under (issue 10), with how sure the match is and the
    # cues that made it, so linking can be checked from outside (`ingest figures --json`); and
    # where an article's date came from (feed, page, import, text, fetched).
    db.executescript(
        """
        ALTER TABLE figures ADD COLUMN claim_id INTEGER REFERENCES claims (id);
        ALTER TABLE figures ADD COLUMN claim_confidence REAL;
        ALTER TABLE figures ADD COLUMN claim_cues TEXT;
        ALTER TABLE articles ADD COLUMN published_source TEXT;
        -- What the statements of a value leave possible, in the unit written (JSON [low, high,
        -- unit]); NULL until a second, more precise statement narrows the first.
        ALTER TABLE claim_values ADD COLUMN native TEXT;
        CREATE INDEX figures_claim ON figures (claim_id);
        """
    )


@migrations()
def m012_story_links(db: Database) -> None:
    # Issue 12: the figure-key candidate index and related-story links. The DDL is frozen
    # here, not imported: a later edit of the store module must not change what this built.
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS story_key (
            story_key INTEGER NOT NULL,     -- 63-bit, from ingest.dedup.align.figure_keys
            article_id INTEGER NOT NULL,
            PRIMARY KEY (story_key, article_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS related_story (
            article_id INTEGER NOT NULL REFERENCES articles (id),   -- the later story
            related_id INTEGER NOT NULL REFERENCES articles (id),   -- the story it is related to
            shared_figures INTEGER NOT NULL,
            alignment REAL NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (article_id, related_id)
        );
        CREATE INDEX IF NOT EXISTS related_story_back ON related_story (related_id);
        """
    )


@migrations()
def m013_claim_values_newest(db: Database) -> None:
    # A claim's newest previous values by index (claim_id, status, as_of; the rowid breaks
    # ties), so reading a claim stops after the few a finding carries instead of sorting its
    # whole history. It covers (claim_id, status), which the old index was: that one goes.
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS claim_values_newest ON claim_values (claim_id, status, as_of);
        DROP INDEX IF EXISTS claim_values_claim;
        """
    )
