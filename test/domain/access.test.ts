import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, test } from 'node:test'
import { generateApiToken, hashApiToken, isWellFormedApiToken, sameTokenHash } from '../../domain/access/api-token.js'
import { mayAccess, type AccessRequirement, type Principal } from '../../domain/access/principal.js'

describe('API tokens', () => {
  test('are afk_ and 43 base62 characters (256 bits), different every time', () => {
    const tokens = Array.from({ length: 1000 }, generateApiToken)

    for (const token of tokens) assert.match(token, /^afk_[0-9A-Za-z]{43}$/)
    assert.equal(new Set(tokens).size, tokens.length)
    assert.ok(tokens.every(isWellFormedApiToken))
  })

  test('use every base62 character, none far more often than the others', () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 2000; i++) for (const char of generateApiToken().slice(4)) counts.set(char, (counts.get(char) ?? 0) + 1)

    // 86,000 draws over 62 symbols: about 1,387 each; a modulo bias or a missing range would show.
    assert.equal(counts.size, 62)
    for (const [char, count] of counts) assert.ok(count > 1200 && count < 1580, `${char} drawn ${count} times`)
  })

  test('a token of another shape is malformed before any lookup', () => {
    for (const text of ['', 'afk_', 'afk_short', `afk_${'a'.repeat(31)}`, `AFK_${'a'.repeat(40)}`, `afk_${'a'.repeat(39)}!`, `sk_${'a'.repeat(40)}`]) {
      assert.equal(isWellFormedApiToken(text), false, text)
    }
  })

  test('are stored as their SHA-256, compared without regard to where they differ', () => {
    const token = generateApiToken()
    const hash = hashApiToken(token)

    assert.equal(hash.toString('hex'), createHash('sha256').update(token).digest('hex'))
    assert.equal(hash.length, 32)
    assert.ok(sameTokenHash(hash, hashApiToken(token)))
    assert.equal(sameTokenHash(hash, hashApiToken(`${token}x`)), false)
    assert.equal(sameTokenHash(hash, hash.subarray(0, 31)), false)
  })
})

describe('who may do what', () => {
  const admin: Principal = { keyId: 1, role: 'admin', storeIds: [] }
  const catalog: Principal = { keyId: 2, role: 'catalog', storeIds: [] }
  const staff: Principal = { keyId: 3, role: 'store', storeIds: [4, 7] }
  const cases: [Principal, AccessRequirement, boolean][] = [
    [admin, { role: 'store', storeId: 4 }, true],
    [admin, { role: 'catalog' }, true],
    [admin, { role: 'admin' }, true],
    [catalog, { role: 'catalog' }, true],
    [catalog, { role: 'store', storeId: 4 }, false],
    [catalog, { role: 'admin' }, false],
    [staff, { role: 'store', storeId: 4 }, true],
    [staff, { role: 'store', storeId: 7 }, true],
    [staff, { role: 'store', storeId: 5 }, false],
    [staff, { role: 'catalog' }, false],
    [staff, { role: 'admin' }, false],
  ]

  for (const [principal, requirement, allowed] of cases) {
    test(`${principal.role} ${allowed ? 'may' : 'may not'} act as ${JSON.stringify(requirement)}`, () => {
      assert.equal(mayAccess(principal, requirement), allowed)
    })
  }
})
