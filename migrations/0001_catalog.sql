-- Catalog: categories and the products they group.
CREATE TABLE categories (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text        NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Names are unique regardless of case: "books" and "Books" would be one category to a client.
CREATE UNIQUE INDEX categories_name_ci_key ON categories (lower(name));

CREATE TABLE products (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title       text          NOT NULL CHECK (btrim(title) <> '' AND length(title) <= 300),
  description text          CHECK (length(description) <= 10000),
  price       numeric(12,2) NOT NULL CHECK (price >= 0),
  category_id bigint        NOT NULL REFERENCES categories (id),
  created_at  timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX products_category_id_idx ON products (category_id);
