import type pg from 'pg'

export interface CountingPool {
  pool: pg.Pool
  /** Statements sent since the last reset, through the pool or any client it handed out. */
  statements(): number
  /**
   * Round trips since the last reset: statements sent while their client had none in flight
   * (those sent behind an unanswered one are pipelined and share its round trip).
   */
  roundTrips(): number
  reset(): void
}

/** Wraps a pool so a test can count SQL round trips without touching the code under test. */
export function countingPool(inner: pg.Pool): CountingPool {
  let statements = 0
  let roundTrips = 0
  const counted = <T extends object>(target: T, extra: (property: string | symbol) => unknown) =>
    new Proxy(target, {
      get(object, property) {
        const replaced = extra(property)
        if (replaced !== undefined) return replaced
        const value: unknown = Reflect.get(object, property, object)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value
      },
    })
  // A pool's statements go out on whichever client is free: each is a round trip of its own.
  const countQuery = (query: (...args: unknown[]) => unknown, pipelines: boolean) => {
    let inFlight = 0
    return (...args: unknown[]) => {
      statements++
      if (!pipelines || inFlight === 0) roundTrips++
      const sent = query(...args)
      if (sent instanceof Promise) {
        inFlight++
        void sent.then(
          () => inFlight--,
          () => inFlight--,
        )
      }
      return sent
    }
  }
  const pool = counted(inner, (property) => {
    if (property === 'query') return countQuery(inner.query.bind(inner), false)
    if (property === 'connect') {
      return async () => {
        const client = await inner.connect()
        const query = countQuery(client.query.bind(client), true)
        return counted(client, (p) => (p === 'query' ? query : undefined))
      }
    }
    return undefined
  })
  return {
    pool,
    statements: () => statements,
    roundTrips: () => roundTrips,
    reset: () => {
      statements = 0
      roundTrips = 0
    },
  }
}
