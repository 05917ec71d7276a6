import type pg from 'pg'

/** A pool or a client inside a transaction: repositories run on whichever they are given. */
export type Queryable = Pick<pg.ClientBase, 'query'>

/** What read-only adapters need: one statement at a time on a pool, or on a router choosing among pools. */
export interface Reader {
  query<R extends pg.QueryResultRow>(statement: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>
}
