import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, from dist/test/support/ where the compiled tests run. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string
  text: string
}

export function readSourceFiles(...directories: string[]): SourceFile[] {
  const files: SourceFile[] = []
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = join(directory, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith('.ts')) files.push({ path: relative(REPO_ROOT, full).split('\\').join('/'), text: readFileSync(full, 'utf8') })
    }
  }
  for (const directory of directories) walk(join(REPO_ROOT, directory))
  return files
}

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8')
}
