import type pg from 'pg'

/** A pool, a client, or a unit of work's transaction (pg-unit-of-work.ts): repositories run on whichever they are given. */
export type Queryable = Reader

/** What read-only adapters need: one statement at a time on a pool, or on a router choosing among pools. */
export interface Reader {
  query<R extends pg.QueryResultRow>(statement: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>
}

/**
 * Reads through a transaction-mode pooler: a named (prepared) statement lives on the one server
 * connection that parsed it, which the next transaction may not get, so names are dropped here.
 */
export function withoutStatementNames(pool: pg.Pool): Reader {
  return {
    query: <R extends pg.QueryResultRow>(statement: string | pg.QueryConfig, values?: unknown[]) => pool.query<R>(unnamed(statement, values)),
  }
}

/** The statement with its values and without its name: parsed and planned where it runs, every time. */
export function unnamed(statement: string | pg.QueryConfig, values?: unknown[]): pg.QueryConfig {
  return typeof statement === 'string' ? { text: statement, values } : { text: statement.text, values: statement.values ?? values }
}
