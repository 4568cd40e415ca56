-- The first schema. Every row carries `origin`: 'builtin' for the shipped
-- dataset, a refresh source's name otherwise, so each origin can be replaced
-- without touching the others. Lists of sources are stored as space-separated
-- source keys in their stated order (keys never contain spaces).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE sources (
    key             TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    publisher       TEXT NOT NULL,
    url             TEXT NOT NULL,
    published       TEXT,
    retrieved_at    TEXT,
    license         TEXT NOT NULL,
    redistributable INTEGER NOT NULL CHECK (redistributable IN (0, 1)),
    origin          TEXT NOT NULL
) STRICT;

CREATE TABLE economies (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    -- Space-separated member codes for a group; empty for one economy.
    members TEXT NOT NULL DEFAULT '',
    origin  TEXT NOT NULL
) STRICT;

CREATE TABLE agreements (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    parties  TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT '',
    sources  TEXT NOT NULL DEFAULT '',
    origin   TEXT NOT NULL
) STRICT;

CREATE TABLE agreement_events (
    id           INTEGER PRIMARY KEY,
    agreement_id TEXT NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    -- Order within the agreement as the dataset gives it.
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    start        TEXT,
    end_date     TEXT,
    round_number INTEGER,
    format       TEXT NOT NULL DEFAULT '',
    venue        TEXT NOT NULL DEFAULT '',
    party        TEXT,
    note         TEXT NOT NULL DEFAULT '',
    sources      TEXT NOT NULL DEFAULT '',
    origin       TEXT NOT NULL,
    UNIQUE (agreement_id, position)
) STRICT;

CREATE TABLE event_conflicts (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES agreement_events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start    TEXT,
    end_date TEXT,
    sources  TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, position)
) STRICT;

-- Annual bilateral figures quoted by official sources, in US dollars.
CREATE TABLE trade_figures (
    id          INTEGER PRIMARY KEY,
    reporter    TEXT NOT NULL,
    partner     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    exports_usd REAL,
    imports_usd REAL,
    total_usd   REAL,
    family      TEXT NOT NULL,
    preferred   INTEGER NOT NULL CHECK (preferred IN (0, 1)),
    note        TEXT NOT NULL DEFAULT '',
    sources     TEXT NOT NULL DEFAULT '',
    origin      TEXT NOT NULL
) STRICT;
CREATE INDEX trade_figures_pair ON trade_figures (reporter, partner, year);

CREATE TABLE quoted_ranks (
    id        INTEGER PRIMARY KEY,
    reporter  TEXT NOT NULL,
    year      INTEGER NOT NULL,
    flow      TEXT NOT NULL CHECK (flow IN ('export', 'import', 'total')),
    -- One code, or several joined by '+'.
    partners  TEXT NOT NULL,
    rank      INTEGER,
    share_pct REAL,
    value_usd REAL,
    note      TEXT NOT NULL DEFAULT '',
    sources   TEXT NOT NULL DEFAULT '',
    origin    TEXT NOT NULL
) STRICT;

CREATE TABLE quoted_products (
    id       INTEGER PRIMARY KEY,
    reporter TEXT NOT NULL,
    partner  TEXT NOT NULL,
    year     INTEGER NOT NULL,
    flow     TEXT NOT NULL CHECK (flow IN ('export', 'import')),
    -- Product descriptions in the order stated, one per line.
    products TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT '',
    sources  TEXT NOT NULL DEFAULT '',
    origin   TEXT NOT NULL
) STRICT;

-- Complete partner data from statistics sources (ranks and shares are computed).
CREATE TABLE partner_flows (
    reporter  TEXT NOT NULL,
    partner   TEXT NOT NULL,
    year      INTEGER NOT NULL,
    flow      TEXT NOT NULL CHECK (flow IN ('export', 'import')),
    value_usd REAL NOT NULL,
    source    TEXT NOT NULL,
    origin    TEXT NOT NULL,
    PRIMARY KEY (reporter, year, flow, partner)
) STRICT;

CREATE TABLE product_flows (
    reporter    TEXT NOT NULL,
    partner     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    flow        TEXT NOT NULL CHECK (flow IN ('export', 'import')),
    hs_code     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    value_usd   REAL NOT NULL,
    source      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    PRIMARY KEY (reporter, partner, year, flow, hs_code)
) STRICT;

CREATE TABLE indicators (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    unit   TEXT NOT NULL,
    origin TEXT NOT NULL
) STRICT;

CREATE TABLE indicator_values (
    economy   TEXT NOT NULL,
    indicator TEXT NOT NULL REFERENCES indicators (code),
    vintage   TEXT NOT NULL,
    year      INTEGER NOT NULL,
    value     REAL,
    sources   TEXT NOT NULL DEFAULT '',
    origin    TEXT NOT NULL,
    PRIMARY KEY (economy, indicator, vintage, year)
) STRICT;
