import { readFileSync } from 'node:fs'

/**
 * The version in package.json, found by walking up from this file: package.json sits three levels
 * up in a checkout (dist/bootstrap/runtime/) and two levels up in the container image (/app/bootstrap/runtime/).
 */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (manifest.name === 'aforro-api' && manifest.version) return manifest.version
    } catch {
      // not at this level; try the next
    }
  }
  return '0.0.0'
}
