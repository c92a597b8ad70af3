-- Places (issue 6), second step.
-- 1. Reload after import: every `travloc import-osm` bumps the generation
--    in its own transaction; running servers poll this one row and rebuild
--    their in-memory catalog (index, routing graph) when it changed.
-- 2. Places from multipolygon/boundary relations: osm_type may now be
--    'relation'. SQLite cannot alter a CHECK constraint, so the table is
--    rebuilt with the same rows and rid values (the FTS5 and R*Tree indexes
--    are keyed on rid and stay valid); nothing references places.
CREATE TABLE places_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO places_generation (id, generation) VALUES (1, 0);

CREATE TABLE places_new (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,             -- UUIDv7
    osm_type TEXT NOT NULL CHECK (osm_type IN ('node', 'way', 'relation')),
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
INSERT INTO places_new SELECT rid, id, osm_type, osm_id, category, parent_category, name, names,
    lat, lng, address, opening_hours, website, phone, wheelchair, cuisine, fee, stars, tags, tz,
    search_text, content_hash, updated_at FROM places;
DROP TABLE places;
ALTER TABLE places_new RENAME TO places;
CREATE INDEX places_category ON places (category);

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
