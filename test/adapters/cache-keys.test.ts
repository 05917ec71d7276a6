import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { canonicalKey } from '../../adapters/cache/codecs.js'

describe('canonical cache keys', () => {
  test('equal criteria give one key whatever the order their fields were written in, at every depth', () => {
    const written = canonicalKey({ q: 'lamp', page: { size: 20, number: 2 }, category: { name: 'Home' } })
    const reordered = canonicalKey({ category: { name: 'Home' }, page: { number: 2, size: 20 }, q: 'lamp' })

    assert.equal(written, reordered)
    assert.equal(written, '{"category":{"name":"Home"},"page":{"number":2,"size":20},"q":"lamp"}')
  })

  test('reads as JSON does: absent fields left out, arrays kept in order, dates as ISO text, strings escaped', () => {
    const key = canonicalKey({ q: 'say "hi"\n', storeId: undefined, tags: [3, undefined, 1], since: new Date(Date.UTC(2026, 0, 2)) })

    assert.equal(key, '{"q":"say \\"hi\\"\\n","since":"2026-01-02T00:00:00.000Z","tags":[3,null,1]}')
    assert.deepEqual(JSON.parse(key), { q: 'say "hi"\n', since: '2026-01-02T00:00:00.000Z', tags: [3, null, 1] })
  })

  test('different criteria give different keys', () => {
    assert.notEqual(canonicalKey({ q: 'lamp', page: 1 }), canonicalKey({ q: 'lamp', page: 2 }))
    assert.notEqual(canonicalKey({ q: 'lamp' }), canonicalKey({ q: 'lamp', inStock: false }))
  })
})
