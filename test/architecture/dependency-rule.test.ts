import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readSourceFiles } from '../support/source-files.js'
import { CONTEXTS, filesOutsideContexts, findViolations, importsOf, serviceImportsInPureTests } from './dependency-rule.js'

describe('dependency rule', () => {
  test('the source tree keeps domain ← application ← adapters ← bootstrap', () => {
    const files = readSourceFiles('domain', 'application', 'adapters', 'bootstrap')

    const violations = findViolations(files)

    assert.ok(files.length > 20, 'the scanner must actually read the tree')
    for (const folder of ['domain/ordering', 'domain/inventory', 'application/ordering', 'application/inventory', 'application/catalog']) {
      assert.ok(
        files.some((file) => file.path.startsWith(`${folder}/`)),
        `the scanner must read ${folder}/`,
      )
    }
    assert.deepEqual(violations, [])
  })

  test('domain/ and application/ keep every file inside a known context folder', () => {
    const files = readSourceFiles('domain', 'application')

    assert.deepEqual(filesOutsideContexts(files), [])
  })

  test('flags a file loose in a layer or in an unknown context', () => {
    const files = ['domain/order.ts', 'application/place-order.ts', 'application/orders/place-order.ts', 'domain/ordering/order.ts'].map((path) => ({
      path,
      text: '',
    }))

    assert.deepEqual(filesOutsideContexts(files), ['domain/order.ts', 'application/place-order.ts', 'application/orders/place-order.ts'])
    assert.ok(CONTEXTS.includes('ordering'))
  })

  test('the pure tests (npm run test:unit) import no adapter, bootstrap or test service', () => {
    const files = readSourceFiles('test/domain', 'test/application')

    assert.ok(files.length > 5, 'the scanner must actually read the pure tests')
    assert.deepEqual(serviceImportsInPureTests(files), [])
  })

  test('flags a pure test that reaches for a service', () => {
    const files = [
      { path: 'test/application/x.test.ts', text: "import { createTestDatabase } from '../support/test-database.js'" },
      { path: 'test/domain/y.test.ts', text: "import pg from 'pg'\nimport { PgOrderQueries } from '../../adapters/postgres/pg-order-queries.js'" },
      { path: 'test/application/z.test.ts', text: "import { InMemoryDatabase } from './in-memory-database.js'\nimport assert from 'node:assert/strict'" },
    ]

    assert.deepEqual(
      serviceImportsInPureTests(files).map((v) => v.specifier),
      ['../support/test-database.js', 'pg', '../../adapters/postgres/pg-order-queries.js'],
    )
  })

  const cases: { name: string; path: string; text: string; rule: string }[] = [
    { name: 'domain importing pg', path: 'domain/ordering/order.ts', text: "import pg from 'pg'", rule: 'domain/ imports only domain/ (and node:crypto)' },
    {
      name: 'domain importing application',
      path: 'domain/ordering/order.ts',
      text: "import type { Clock } from '../../application/shared/clock.js'",
      rule: 'domain/ imports only domain/ (and node:crypto)',
    },
    {
      name: 'application importing fastify',
      path: 'application/ordering/x.ts',
      text: "import Fastify from 'fastify'",
      rule: 'application/ imports only domain/ and application/',
    },
    {
      name: 'application importing an adapter',
      path: 'application/ordering/x.ts',
      text: "export { createPool } from '../../adapters/postgres/pool.js'",
      rule: 'application/ imports only domain/ and application/',
    },
    {
      name: 'application importing tsyringe',
      path: 'application/ordering/x.ts',
      text: "import { container } from 'tsyringe'",
      rule: 'only bootstrap/composition/ may use the container',
    },
    {
      name: 'adapter importing bootstrap',
      path: 'adapters/http/x.ts',
      text: "import { loadConfig } from '../../bootstrap/runtime/config.js'",
      rule: 'adapters/ never import bootstrap/',
    },
    {
      name: 'adapter importing reflect-metadata',
      path: 'adapters/http/x.ts',
      text: "import 'reflect-metadata'",
      rule: 'only bootstrap/composition/ may use the container',
    },
    {
      name: 'an entry point importing tsyringe',
      path: 'bootstrap/server.ts',
      text: "import { container } from 'tsyringe'",
      rule: 'only bootstrap/composition/ may use the container',
    },
    {
      name: 'dynamic import of pg in domain',
      path: 'domain/x.ts',
      text: "const pg = await import('pg')",
      rule: 'domain/ imports only domain/ (and node:crypto)',
    },
  ]
  for (const { name, path, text, rule } of cases) {
    test(`flags ${name}`, () => {
      const violations = findViolations([{ path, text }])

      assert.ok(
        violations.some((v) => v.rule === rule),
        `expected "${rule}", got ${JSON.stringify(violations)}`,
      )
    })
  }

  test('allows what the rule allows', () => {
    const files = [
      { path: 'domain/ordering/order.ts', text: "import { DomainError } from '../shared/domain-error.js'\nimport { randomUUID } from 'node:crypto'" },
      {
        path: 'application/ordering/x.ts',
        text: "import type { Order } from '../../domain/ordering/order.js'\nimport type { Clock } from '../ports/clock.js'",
      },
      { path: 'adapters/http/x.ts', text: "import Fastify from 'fastify'\nimport { PlaceOrder } from '../../application/ordering/place-order.js'" },
      { path: 'bootstrap/composition/container.ts', text: "import 'reflect-metadata'\nimport { container } from 'tsyringe'" },
    ]

    assert.deepEqual(findViolations(files), [])
  })

  test('reads multi-line and type-only imports', () => {
    const text = "import {\n  a,\n  b,\n} from 'fastify'\nimport type { C } from './c.js'\nexport * from '../d.js'"

    assert.deepEqual(importsOf(text), ['fastify', './c.js', '../d.js'])
  })
})
