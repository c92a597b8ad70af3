-- Places (issue 6), second step.
-- 1. Reload after import: every `travloc import-osm` bumps the generation
--    in its own transaction; running servers poll this one row and rebuild
--    their in-memory catalog (index, routing graph) when it changed.
-- 2. Places from multipolygon/boundary relations: osm_type may now be
--    'relation'.
CREATE TABLE places_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO places_generation (id, generation) VALUES (1, 0);

ALTER TABLE places DROP CONSTRAINT places_osm_type_check;
ALTER TABLE places ADD CONSTRAINT places_osm_type_check
    CHECK (osm_type IN ('node', 'way', 'relation'));
