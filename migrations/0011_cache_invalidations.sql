-- Cache invalidations that Redis could not take when they were made (the writer could not reach
-- it). Each row is announced on the cache_invalidated channel as it is written, so every running
-- instance bypasses the cache for those scopes at once; an instance started later finds the rows
-- here. A row is deleted once some instance has recorded its scopes in Redis.
CREATE TABLE cache_invalidations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
  announced_at timestamptz NOT NULL DEFAULT now()
);
