import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { DIST } from '../support/programs.js'

test('a failing test fails the run, also when the embedded Postgres package is loaded', () => {
  const run = spawnSync(
    process.execPath,
    ['--test', `--test-global-setup=${DIST}test/support/global-setup.js`, `${DIST}test/support/always-fails.fixture.js`],
    // Without the variable that would make it report to this run instead of running on its own.
    { env: { ...process.env, NODE_TEST_CONTEXT: undefined }, encoding: 'utf8' },
  )

  assert.match(run.stdout, /this failure must reach the exit code/)
  assert.equal(run.status, 1, run.stdout + run.stderr)
})
