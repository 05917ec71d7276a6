import type pg from 'pg'

/** A pool or a client inside a transaction: repositories run on whichever they are given. */
export type Queryable = Pick<pg.ClientBase, 'query'>
