import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'

/** A program the scale-out topology needs is not installed; the message names the Debian package to install. */
export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
  ) {
    super(`${binary} not found: install it with "apt-get install -y ${debianPackage}"`)
    this.name = 'MissingBinaryError'
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The path of `name` (absolute, or searched on PATH), or a MissingBinaryError naming `debianPackage`. */
export function requireBinary(name: string, debianPackage: string): string {
  if (isAbsolute(name)) {
    if (executable(name)) return name
    throw new MissingBinaryError(name, debianPackage)
  }
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, name))
    .find(executable)
  if (found === undefined) throw new MissingBinaryError(name, debianPackage)
  return found
}
