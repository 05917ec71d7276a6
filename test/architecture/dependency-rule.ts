import { posix } from 'node:path'
import type { SourceFile } from '../support/source-files.js'

export interface Violation {
  file: string
  specifier: string
  rule: string
}

const IMPORT_SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

export function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT_SPECIFIER)].map((match) => (match[1] ?? match[2] ?? match[3]) as string)
}

/** The layer a repository path belongs to, or undefined outside the four layers. */
function layerOf(path: string): string | undefined {
  const top = path.split('/')[0]
  return top === 'domain' || top === 'application' || top === 'adapters' || top === 'bootstrap' ? top : undefined
}

/**
 * DESIGN.md's rule, domain ← application ← adapters ← bootstrap: domain imports only domain
 * (and node:crypto); application imports domain and application and no package; adapters never
 * import bootstrap; only bootstrap imports tsyringe and reflect-metadata.
 */
export function findViolations(files: SourceFile[]): Violation[] {
  const violations: Violation[] = []
  for (const file of files) {
    const layer = layerOf(file.path)
    for (const specifier of importsOf(file.text)) {
      const relativeImport = specifier.startsWith('.')
      const target = relativeImport ? posix.normalize(posix.join(posix.dirname(file.path), specifier)) : undefined
      const targetLayer = target === undefined ? undefined : layerOf(target)
      const report = (rule: string) => violations.push({ file: file.path, specifier, rule })

      if ((specifier === 'tsyringe' || specifier === 'reflect-metadata') && layer !== 'bootstrap') {
        report('only bootstrap/ may use the container')
      }
      if (layer === 'domain' && !(relativeImport ? targetLayer === 'domain' : specifier === 'node:crypto')) {
        report('domain/ imports only domain/ (and node:crypto)')
      }
      if (layer === 'application' && !(relativeImport && (targetLayer === 'domain' || targetLayer === 'application'))) {
        report('application/ imports only domain/ and application/')
      }
      if (layer === 'adapters' && targetLayer === 'bootstrap') {
        report('adapters/ never import bootstrap/')
      }
    }
  }
  return violations
}
