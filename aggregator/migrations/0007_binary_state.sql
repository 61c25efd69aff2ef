-- Investigation states are stored as a tagged binary encoding (`core::state_codec`) instead of
-- JSON text: each event rewrites its investigation's whole state, and as JSON those states
-- were the largest text the writer wrote and DuckDB compressed at every checkpoint. The
-- column becomes a BLOB. Existing rows keep their JSON as its UTF-8 bytes (the decoder still
-- reads JSON, which starts with `{`) and are rewritten in the binary form when next touched.
-- The table is rebuilt (copy, drop, create, copy back) rather than altered in place, so its
-- primary key and column order are exactly those of a database created new.
CREATE TEMP TABLE investigations_v6 AS SELECT * FROM investigations;
DROP TABLE investigations;
CREATE TABLE investigations (
    investigation_id  VARCHAR PRIMARY KEY,
    family_id         VARCHAR,
    zone              VARCHAR,
    received_at       BIGINT,
    opened            BOOLEAN NOT NULL,
    state             BLOB    NOT NULL,   -- core::state_codec: format byte + postcard, or legacy JSON
    closed_at         BIGINT
);
INSERT INTO investigations
SELECT investigation_id, family_id, zone, received_at, opened, encode(state), closed_at
FROM investigations_v6;
DROP TABLE investigations_v6;
