import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { onRequestAsyncHookHandler } from 'fastify'
import { addProducts } from '../support/fixtures.js'
import { codePointRepresentatives } from '../support/code-points.js'
import { eventually } from '../support/eventually.js'
import { appOverTestDatabase, buildTestApp } from '../support/http-app.js'
import type { ProblemBody } from '../support/http-bodies.js'

const subject = appOverTestDatabase({
  prepare: async () => {
    await addProducts(
      subject.db.pool,
      TITLES.map((title) => ({ title, category: 'Things' })),
    )
  },
})

const TITLES = [
  'Overlap Tray',
  'Lap Desk',
  'Laptop Stand',
  'Cool Lapel Pin',
  'Laptop',
  'Laptop', // a second product with the same title
  'laptop bag',
  'Slap Bracelet',
  'Café Crème Mug',
  'Desk Lamp',
]

async function suggest(q: string): Promise<string[]> {
  const response = await subject.app.inject({ method: 'GET', url: `/api/search/suggest/?q=${encodeURIComponent(q)}` })
  assert.equal(response.statusCode, 200, response.body)
  return response.json<{ suggestions: string[] }>().suggestions
}

describe('GET /api/search/suggest/', () => {
  test('titles starting with q, then q starting a later word, then q anywhere; shorter first, then A→Z', async () => {
    const response = await subject.app.inject({ method: 'GET', url: '/api/search/suggest?q=lap' })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), {
      query: 'lap',
      suggestions: ['Laptop', 'Lap Desk', 'laptop bag', 'Laptop Stand', 'Cool Lapel Pin', 'Overlap Tray', 'Slap Bracelet'],
    })
  })

  test('ignores case and accents, and surrounding spaces', async () => {
    assert.deepEqual(await suggest('CAFÉ'), ['Café Crème Mug'])
    assert.deepEqual(await suggest('  creme '), ['Café Crème Mug'])
    assert.deepEqual(await suggest('LAPTOP B'), ['laptop bag'])
  })

  test('punctuation separates words like a space', async () => {
    await addProducts(subject.db.pool, [{ title: 'Wi-Fi Extender', category: 'Things' }])

    assert.deepEqual(await suggest('fi ext'), ['Wi-Fi Extender'])
    assert.deepEqual(await suggest('wi-fi'), ['Wi-Fi Extender'])
  })

  test('returns at most 10 distinct titles, the best ones', async () => {
    const titles = Array.from({ length: 14 }, (_, index) => `Zest ${'x'.repeat(index + 1)}`)
    await addProducts(
      subject.db.pool,
      [...titles, ...titles].map((title) => ({ title, category: 'Things' })),
    )

    assert.deepEqual(await suggest('zest'), titles.slice(0, 10))
  })

  test('a title is suggested while some product carries it, and no longer', async () => {
    const [plush, , oneMug, bag] = await addProducts(subject.db.pool, [
      { title: 'Quokka Plush' },
      { title: 'Quokka Mug' },
      { title: 'Quokka Mug' },
      { title: 'quokka bags' },
    ])
    assert.deepEqual(await suggest('quokka '), ['Quokka Mug', 'quokka bags', 'Quokka Plush'])

    await subject.db.pool.query('DELETE FROM products WHERE id = ANY($1::bigint[])', [[plush, oneMug]])
    await subject.db.pool.query(`UPDATE products SET title = 'Quokka Sleeve' WHERE id = $1`, [bag])

    // Suggestions are cached; the cache hears of catalog writes through NOTIFY, just after their commit.
    await eventually('the deleted title to leave the suggestions', async () => ((await suggest('quokka ')).includes('Quokka Plush') ? undefined : true))
    assert.deepEqual(await suggest('quokka '), ['Quokka Mug', 'Quokka Sleeve'])
  })

  test('finds nothing for what no title contains', async () => {
    assert.deepEqual(await suggest('xyz'), [])
    assert.deepEqual(await suggest('%%%'), [])
  })

  test('q shorter than 3 characters once trimmed, longer than 200, with a control character, or missing is a 400 problem', async () => {
    const urls = [
      '/api/search/suggest?q=ab',
      '/api/search/suggest?q=%20ab%20%20',
      '/api/search/suggest',
      `/api/search/suggest?q=${'a'.repeat(201)}`,
      '/api/search/suggest?q=abc%00',
    ]
    for (const url of urls) {
      const response = await subject.app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 400, url)
      assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/validation-error', url)
    }
  })
})

describe('the suggest guard option', () => {
  test('runs before validation and can answer the request itself', async () => {
    const seen: string[] = []
    const guard: onRequestAsyncHookHandler = async (request, reply) => {
      seen.push(request.url)
      if (!request.url.includes('blocked')) return
      const problem = {
        type: 'https://aforro.dev/problems/rate-limited',
        title: 'Too many requests',
        status: 429,
        detail: 'Slow down',
        instance: '/api/search/suggest',
      }
      return reply.code(429).type('application/problem+json').send(problem)
    }
    const guarded = await buildTestApp(subject.db, {}, { suggestGuard: guard })

    const blocked = await guarded.inject({ method: 'GET', url: '/api/search/suggest?q=x&blocked' })
    const invalid = await guarded.inject({ method: 'GET', url: '/api/search/suggest?q=x' })
    const search = await guarded.inject({ method: 'GET', url: '/api/search/products?q=lap' })

    assert.equal(blocked.statusCode, 429)
    assert.equal(invalid.statusCode, 400)
    assert.equal(search.statusCode, 200)
    assert.deepEqual(seen, ['/api/search/suggest?q=x&blocked', '/api/search/suggest?q=x'])
    await guarded.close()
  })
})

describe('any text in q', () => {
  test('every class of code point, alone or within words, is answered without a 5xx', async () => {
    const unlimited = await buildTestApp(subject.db, { RATE_LIMIT_SUGGEST: '1000000' })
    const failures: string[] = []
    try {
      for (const character of codePointRepresentatives()) {
        for (const q of [`${character}${character}${character}`, `lap${character}`, `x${character}%_\\`, `${character} desk`]) {
          const response = await unlimited.inject({ method: 'GET', url: `/api/search/suggest/?q=${encodeURIComponent(q)}` })
          if (response.statusCode >= 500) failures.push(`U+${character.codePointAt(0)?.toString(16)} in ${JSON.stringify(q)}: ${response.statusCode}`)
        }
      }
    } finally {
      await unlimited.close()
    }

    assert.deepEqual(failures, [])
  })
})
