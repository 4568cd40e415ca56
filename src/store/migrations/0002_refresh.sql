-- The refresh worker: run history, per-source state, HTTP validators, the
-- change log that WatchChanges replays, and the previous values of revised
-- figures. Also lets several origins hold the same figure (a refresh source
-- beside the built-in dataset) by making `origin` part of the natural keys.

CREATE TABLE refresh_runs (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    -- SCHEDULE, STARTUP, MANUAL
    trigger     TEXT NOT NULL,
    -- RUNNING, SUCCEEDED, UNCHANGED, FAILED, SKIPPED, SKIPPED_OVERLAP, CANCELLED, INTERRUPTED
    state       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    rows        INTEGER NOT NULL DEFAULT 0,
    changes     INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX refresh_runs_source ON refresh_runs (source, id);

CREATE TABLE source_state (
    source          TEXT PRIMARY KEY,
    last_success_at TEXT,
    last_run_id     INTEGER
) STRICT;

-- ETag / Last-Modified per URL, so an unchanged upstream costs a 304.
CREATE TABLE http_validators (
    source        TEXT NOT NULL,
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    PRIMARY KEY (source, url)
) STRICT;

-- Every change a refresh applied, in commit order; `seq` is what clients
-- resume from.
CREATE TABLE data_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id       INTEGER NOT NULL,
    source       TEXT NOT NULL,
    -- NEW_FIGURE, REVISED_FIGURE, REMOVED_FIGURE, STATUS_CHANGED
    kind         TEXT NOT NULL,
    -- What changed, e.g. 'partner_flow KOR→KHM export' or 'agreement kor-khm'.
    subject      TEXT NOT NULL,
    year         INTEGER,
    old_value    TEXT,
    new_value    TEXT,
    committed_at TEXT NOT NULL
) STRICT;

-- Previous values of figures a refresh revised: "what did we serve last week".
CREATE TABLE figure_history (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL,
    source      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    year        INTEGER,
    old_value   REAL,
    new_value   REAL,
    replaced_at TEXT NOT NULL
) STRICT;
CREATE INDEX figure_history_subject ON figure_history (subject, year);

-- Several origins may hold the same figure, so origin joins the keys.
CREATE TABLE partner_flows_v2 (
    reporter  TEXT NOT NULL,
    partner   TEXT NOT NULL,
    year      INTEGER NOT NULL,
    flow      TEXT NOT NULL CHECK (flow IN ('export', 'import')),
    value_usd REAL NOT NULL,
    source    TEXT NOT NULL,
    origin    TEXT NOT NULL,
    PRIMARY KEY (reporter, year, flow, partner, origin)
) STRICT;
INSERT INTO partner_flows_v2 SELECT reporter, partner, year, flow, value_usd, source, origin FROM partner_flows;
DROP TABLE partner_flows;
ALTER TABLE partner_flows_v2 RENAME TO partner_flows;

CREATE TABLE product_flows_v2 (
    reporter    TEXT NOT NULL,
    partner     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    flow        TEXT NOT NULL CHECK (flow IN ('export', 'import')),
    hs_code     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    value_usd   REAL NOT NULL,
    source      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    PRIMARY KEY (reporter, partner, year, flow, hs_code, origin)
) STRICT;
INSERT INTO product_flows_v2 SELECT reporter, partner, year, flow, hs_code, description, value_usd, source, origin FROM product_flows;
DROP TABLE product_flows;
ALTER TABLE product_flows_v2 RENAME TO product_flows;

-- Indicator definitions are shared by origins; values no longer reference
-- them by foreign key, so re-applying one origin never trips over another's.
CREATE TABLE indicator_values_v2 (
    economy   TEXT NOT NULL,
    indicator TEXT NOT NULL,
    vintage   TEXT NOT NULL,
    year      INTEGER NOT NULL,
    value     REAL,
    sources   TEXT NOT NULL DEFAULT '',
    origin    TEXT NOT NULL,
    PRIMARY KEY (economy, indicator, vintage, year, origin)
) STRICT;
INSERT INTO indicator_values_v2 SELECT economy, indicator, vintage, year, value, sources, origin FROM indicator_values;
DROP TABLE indicator_values;
ALTER TABLE indicator_values_v2 RENAME TO indicator_values;

ALTER TABLE economies ADD COLUMN iso2 TEXT;

CREATE INDEX trade_figures_origin ON trade_figures (origin);
CREATE INDEX agreement_events_origin ON agreement_events (origin);
