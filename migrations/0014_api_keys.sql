-- API keys (see API.md, Access). Only the SHA-256 of a token is kept: tokens are 256 random bits,
-- so a fast unsalted hash is as strong as a slow one here, and lets a request find its key by an
-- index lookup instead of trying every key. A store key names the stores it may act for.
CREATE TYPE api_key_role AS ENUM ('admin', 'catalog', 'store');

CREATE TABLE api_keys (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text         NOT NULL CHECK (length(name) <= 200),
  role         api_key_role NOT NULL,
  store_ids    bigint[]     NOT NULL DEFAULT '{}',
  token_hash   bytea        NOT NULL CHECK (length(token_hash) = 32),
  created_at   timestamptz  NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  -- Written lazily (at most once a minute per key), so verifying a key stays a read.
  last_used_at timestamptz,
  CONSTRAINT api_keys_token_hash_key UNIQUE (token_hash),
  CONSTRAINT api_keys_stores_only_for_store_role CHECK ((role = 'store') = (cardinality(store_ids) > 0))
);
