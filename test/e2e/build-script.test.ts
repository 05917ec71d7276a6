import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { REPO_ROOT } from '../support/source-files.js'

// A tiny project laid out like this one, built by a copy of scripts/build.mjs.
const project = mkdtempSync(join(tmpdir(), 'aforro-build-'))
after(() => rmSync(project, { recursive: true, force: true }))

const build = () => spawnSync(process.execPath, [join(project, 'scripts/build.mjs')], { cwd: project, encoding: 'utf8' })
const compiled = (path: string) => join(project, 'dist', path)

test('scripts/build.mjs compiles when a source changed, skips when none did, and removes what a deleted source compiled to', () => {
  mkdirSync(join(project, 'scripts'))
  cpSync(join(REPO_ROOT, 'scripts/build.mjs'), join(project, 'scripts/build.mjs'))
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules'))
  for (const directory of ['domain', 'migrations']) mkdirSync(join(project, directory))
  writeFileSync(join(project, 'migrations/0001_first.sql'), 'SELECT 1;')
  writeFileSync(join(project, 'domain/kept.ts'), 'export const kept = 1\n')
  writeFileSync(join(project, 'domain/dropped.ts'), 'export const dropped = 2\n')
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', outDir: 'dist', rootDir: '.', types: [] },
      include: ['domain'],
    }),
  )

  assert.equal(build().status, 0)
  assert.ok(existsSync(compiled('domain/kept.js')) && existsSync(compiled('domain/dropped.js')) && existsSync(compiled('migrations/0001_first.sql')))
  const firstBuild = statSync(compiled('domain/kept.js')).mtimeMs

  assert.equal(build().status, 0)
  assert.equal(statSync(compiled('domain/kept.js')).mtimeMs, firstBuild, 'nothing changed: nothing compiled')

  rmSync(join(project, 'domain/dropped.ts'))
  writeFileSync(join(project, 'migrations/0002_second.sql'), 'SELECT 2;')
  assert.equal(build().status, 0)
  assert.ok(!existsSync(compiled('domain/dropped.js')), 'the deleted source left nothing behind')
  assert.ok(existsSync(compiled('migrations/0002_second.sql')), 'migrations copied again')

  writeFileSync(join(project, 'domain/kept.ts'), 'export const kept: number = "not a number"\n')
  const broken = build()
  assert.notEqual(broken.status, 0, 'a type error fails the build')
  assert.match(broken.stdout + broken.stderr, /kept\.ts/)
  assert.notEqual(build().status, 0, 'and is not forgotten by the next one')
})
