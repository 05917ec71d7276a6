-- What the seed CLI wrote, and when: the embedded default seeds only while this is empty.
CREATE TABLE seed_runs (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seed       integer,
  counts     jsonb       NOT NULL,
  seeded_at  timestamptz NOT NULL DEFAULT now()
);
