-- Places and the routing graph imported from OpenStreetMap (issue 6).
-- Written by `travloc import-osm`; read at `serve` start into the
-- in-memory index (src/places/). The durable indexes are an R*Tree
-- (spatial) and FTS5 (text, accents folded, prefix indexes), both kept in
-- step with `places` by triggers keyed on the integer `rid` (a plain
-- rowid could be renumbered by VACUUM).
CREATE TABLE places (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,             -- UUIDv7
    osm_type TEXT NOT NULL CHECK (osm_type IN ('node', 'way')),
    osm_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    parent_category TEXT NOT NULL,
    name TEXT,
    names TEXT NOT NULL DEFAULT '{}',    -- JSON {"de": "..."} from name:xx
    lat REAL NOT NULL,
    lng REAL NOT NULL,
    address TEXT,
    opening_hours TEXT,
    website TEXT,
    phone TEXT,
    wheelchair TEXT,
    cuisine TEXT,
    fee TEXT,
    stars REAL,
    tags TEXT NOT NULL DEFAULT '{}',     -- JSON of every OSM tag
    tz TEXT NOT NULL DEFAULT 'UTC',      -- IANA zone (nearest city at import)
    search_text TEXT NOT NULL DEFAULT '',-- name and translations, for the text index
    content_hash TEXT NOT NULL,          -- re-import skips unchanged rows
    updated_at BIGINT NOT NULL,
    UNIQUE (osm_type, osm_id)
);
CREATE INDEX places_category ON places (category);

CREATE VIRTUAL TABLE places_fts USING fts5(
    search_text, content = 'places', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');

CREATE VIRTUAL TABLE places_rtree USING rtree(rid, min_lat, max_lat, min_lng, max_lng);

CREATE TRIGGER places_ai AFTER INSERT ON places BEGIN
    INSERT INTO places_fts (rowid, search_text) VALUES (new.rid, new.search_text);
    INSERT INTO places_rtree (rid, min_lat, max_lat, min_lng, max_lng)
        VALUES (new.rid, new.lat, new.lat, new.lng, new.lng);
END;
CREATE TRIGGER places_ad AFTER DELETE ON places BEGIN
    INSERT INTO places_fts (places_fts, rowid, search_text)
        VALUES ('delete', old.rid, old.search_text);
    DELETE FROM places_rtree WHERE rid = old.rid;
END;
CREATE TRIGGER places_au AFTER UPDATE ON places BEGIN
    INSERT INTO places_fts (places_fts, rowid, search_text)
        VALUES ('delete', old.rid, old.search_text);
    INSERT INTO places_fts (rowid, search_text) VALUES (new.rid, new.search_text);
    UPDATE places_rtree SET min_lat = new.lat, max_lat = new.lat, min_lng = new.lng,
        max_lng = new.lng WHERE rid = new.rid;
END;

-- One serialised routing graph (geo/graph.h blob) per extract.
CREATE TABLE routing_graph (
    extract TEXT PRIMARY KEY,            -- file name without .osm.pbf
    graph BLOB NOT NULL,
    nodes BIGINT NOT NULL,
    edges BIGINT NOT NULL,
    tz TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
