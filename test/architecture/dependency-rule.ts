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
 * import bootstrap; only bootstrap/composition imports tsyringe and reflect-metadata.
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

      if ((specifier === 'tsyringe' || specifier === 'reflect-metadata') && !file.path.startsWith('bootstrap/composition/')) {
        report('only bootstrap/composition/ may use the container')
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

/**
 * The contexts the core is grouped by (DESIGN.md, "Contexts inside the layers"): domain/ and
 * application/ hold files only inside one of these folders, so everything about orders is in
 * domain/ordering and application/ordering. A new context is added here on purpose.
 */
export const CONTEXTS = ['ordering', 'inventory', 'catalog', 'access', 'operations', 'shared'] as const

/** Files of domain/ and application/ that are not inside a known context folder. */
export function filesOutsideContexts(files: SourceFile[]): string[] {
  return files
    .map((file) => file.path)
    .filter((path) => {
      const [layer, context, ...rest] = path.split('/')
      if (layer !== 'domain' && layer !== 'application') return false
      return rest.length === 0 || !(CONTEXTS as readonly (string | undefined)[]).includes(context)
    })
}

/**
 * The tests `npm run test:unit` runs without services (test/domain, test/application) may import
 * only the core (domain/, application/), their own folder's fakes and node: builtins.
 */
export function serviceImportsInPureTests(files: SourceFile[]): Violation[] {
  const violations: Violation[] = []
  for (const file of files) {
    for (const specifier of importsOf(file.text)) {
      const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file.path), specifier)) : undefined
      const allowed =
        target === undefined
          ? specifier.startsWith('node:')
          : layerOf(target) === 'domain' || layerOf(target) === 'application' || posix.dirname(target) === posix.dirname(file.path)
      if (!allowed) violations.push({ file: file.path, specifier, rule: 'pure tests import only the core, their fakes and node: builtins' })
    }
  }
  return violations
}
