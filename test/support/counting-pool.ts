import type pg from 'pg'

export interface CountingPool {
  pool: pg.Pool
  /** Statements sent since the last reset, through the pool or any client it handed out. */
  statements(): number
  reset(): void
}

/** Wraps a pool so a test can count SQL round trips without touching the code under test. */
export function countingPool(inner: pg.Pool): CountingPool {
  let statements = 0
  const counted = <T extends object>(target: T, extra: (property: string | symbol) => unknown) =>
    new Proxy(target, {
      get(object, property) {
        const replaced = extra(property)
        if (replaced !== undefined) return replaced
        const value: unknown = Reflect.get(object, property, object)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value
      },
    })
  const countQuery =
    (query: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      statements++
      return query(...args)
    }
  const pool = counted(inner, (property) => {
    if (property === 'query') return countQuery(inner.query.bind(inner))
    if (property === 'connect') {
      return async () => {
        const client = await inner.connect()
        return counted(client, (p) => (p === 'query' ? countQuery(client.query.bind(client) as (...args: unknown[]) => unknown) : undefined))
      }
    }
    return undefined
  })
  return { pool, statements: () => statements, reset: () => void (statements = 0) }
}
