-- Product breakdowns are read straight from SQLite: at Comtrade scale (millions
-- of HS6 rows) they are too big for the in-memory snapshot.
--
-- product_levels: per reporter, partner, year, flow, origin and HS level, how
-- many lines are stored and their total, so an answer picks its origin and
-- level and computes shares without scanning the lines. Rebuilt for an origin
-- in the same transaction that swaps its product rows.
CREATE TABLE product_levels (
    reporter  TEXT NOT NULL,
    partner   TEXT NOT NULL,
    year      INTEGER NOT NULL,
    flow      TEXT NOT NULL,
    origin    TEXT NOT NULL,
    digits    INTEGER NOT NULL,
    lines     INTEGER NOT NULL,
    total_usd REAL NOT NULL,
    -- Keys of the lines' sources, space-separated.
    sources   TEXT NOT NULL,
    PRIMARY KEY (reporter, partner, year, flow, origin, digits)
) STRICT, WITHOUT ROWID;

INSERT INTO product_levels
SELECT reporter, partner, year, flow, origin, length(hs_code), count(*), sum(value_usd),
       replace(group_concat(DISTINCT source), ',', ' ')
FROM product_flows
GROUP BY reporter, partner, year, flow, origin, length(hs_code);

-- The top lines of one level, largest first, as an index range: a top-20
-- answer reads 20 index entries whatever the number of lines.
CREATE INDEX product_flows_top
    ON product_flows (reporter, partner, year, flow, origin, length(hs_code), value_usd DESC, hs_code);
