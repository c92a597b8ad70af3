-- Places and the routing graph imported from OpenStreetMap (issue 6).
-- Written by `travloc import-osm`; read at `serve` start into the
-- in-memory index (src/places/). PostGIS gives the durable spatial index
-- (geography + GiST), unaccent + tsvector the text index. Both extensions
-- ship with the Debian packages postgresql-15-postgis-3 and
-- postgresql-contrib; creating them needs a superuser (or a database
-- owner on PostgreSQL 13+ for trusted extensions).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS postgis;

-- unaccent() is only STABLE (it reads a dictionary); this wrapper names
-- the dictionary explicitly so it can be IMMUTABLE and feed a generated
-- column and its index.
CREATE OR REPLACE FUNCTION travloc_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

CREATE TABLE places (
    id TEXT PRIMARY KEY,                 -- UUIDv7
    osm_type TEXT NOT NULL CHECK (osm_type IN ('node', 'way')),
    osm_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    parent_category TEXT NOT NULL,
    name TEXT,
    names TEXT NOT NULL DEFAULT '{}',    -- JSON {"de": "..."} from name:xx
    lat DOUBLE PRECISION NOT NULL,
    lng DOUBLE PRECISION NOT NULL,
    address TEXT,
    opening_hours TEXT,
    website TEXT,
    phone TEXT,
    wheelchair TEXT,
    cuisine TEXT,
    fee TEXT,
    stars DOUBLE PRECISION,
    tags TEXT NOT NULL DEFAULT '{}',     -- JSON of every OSM tag
    tz TEXT NOT NULL DEFAULT 'UTC',      -- IANA zone (nearest city at import)
    search_text TEXT NOT NULL DEFAULT '',-- name and translations, for the text index
    content_hash TEXT NOT NULL,          -- re-import skips unchanged rows
    updated_at BIGINT NOT NULL,
    UNIQUE (osm_type, osm_id),
    geog geography(Point, 4326) GENERATED ALWAYS AS
        (ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography) STORED,
    tsv tsvector GENERATED ALWAYS AS
        (to_tsvector('simple'::regconfig, travloc_unaccent(search_text))) STORED
);
CREATE INDEX places_geog ON places USING gist (geog);
CREATE INDEX places_tsv ON places USING gin (tsv);
CREATE INDEX places_category ON places (category);

-- One serialised routing graph (geo/graph.h blob) per extract.
CREATE TABLE routing_graph (
    extract TEXT PRIMARY KEY,            -- file name without .osm.pbf
    graph BYTEA NOT NULL,
    nodes BIGINT NOT NULL,
    edges BIGINT NOT NULL,
    tz TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
