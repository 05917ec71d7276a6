// Compiles to dist/ only when a source changed since the last build, and then incrementally, so
// `npm start` (and every other script) is ready in about the app's own start time after the
// first build. `--clean` rebuilds from nothing. Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIST = join(ROOT, 'dist')
const STAMP = join(DIST, '.build-stamp')
const SOURCE_DIRECTORIES = ['domain', 'application', 'adapters', 'bootstrap', 'test', 'migrations']
// A changed dependency can change types; a changed compiler option changes output.
const SOURCE_FILES = ['tsconfig.json', 'package-lock.json']

/** Newest modification time of the sources, counting directories: adding or deleting a file changes its directory. */
function newestSourceChange() {
  let newest = 0
  const visit = (path) => {
    const stats = statSync(path, { throwIfNoEntry: false })
    if (stats === undefined) return
    newest = Math.max(newest, stats.mtimeMs)
    if (stats.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry))
  }
  for (const path of [...SOURCE_DIRECTORIES, ...SOURCE_FILES]) visit(join(ROOT, path))
  return newest
}

/** Compiled files whose source is gone (renamed, deleted) would otherwise linger, and stale tests would still run. */
function pruneOrphans(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name)
    const source = join(ROOT, relative(DIST, path))
    if (entry.isDirectory()) {
      if (path !== join(DIST, 'migrations')) pruneOrphans(path)
    } else if (/\.js(\.map)?$/.test(entry.name) && !existsSync(source.replace(/\.js(\.map)?$/, '.ts'))) {
      rmSync(path)
    }
  }
}

if (process.argv.includes('--clean')) rmSync(DIST, { recursive: true, force: true })
const stamp = statSync(STAMP, { throwIfNoEntry: false })
if (stamp === undefined || stamp.mtimeMs < newestSourceChange()) {
  const started = new Date()
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', join(DIST, '.tsbuildinfo')],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  )
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
  pruneOrphans(DIST)
  rmSync(join(DIST, 'migrations'), { recursive: true, force: true })
  cpSync(join(ROOT, 'migrations'), join(DIST, 'migrations'), { recursive: true })
  // Stamped with the time the build began, so an edit made while it ran is compiled next time.
  writeFileSync(STAMP, '')
  utimesSync(STAMP, started, started)
}
