import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthenticateApiKey, DEFAULT_KEY_CACHE } from '../../application/access/authenticate-api-key.js'
import { AuthorizeAccess } from '../../application/access/authorize-access.js'
import type { ApiKeyRecord, ApiKeys, NewApiKey, StoredApiKey } from '../../application/access/ports/api-keys.js'
import { CreateApiKey } from '../../application/access/manage-api-keys.js'
import { generateApiToken, hashApiToken } from '../../domain/access/api-token.js'
import type { Principal } from '../../domain/access/principal.js'
import type { CalendarDate } from '../../domain/shared/calendar-date.js'
import { ValidationError } from '../../domain/shared/validation-error.js'

class FakeClock {
  constructor(public ms = Date.UTC(2026, 10, 30, 12)) {}
  now = () => new Date(this.ms)
  advance(ms: number) {
    this.ms += ms
  }
}

/** Keys in a map, counting lookups and recorded uses. */
class InMemoryApiKeys implements ApiKeys {
  readonly keys: StoredApiKey[] = []
  lookups = 0
  readonly uses: { id: number; at: Date }[] = []

  add(token: string, changes: Partial<StoredApiKey> = {}): StoredApiKey {
    const key: StoredApiKey = {
      id: this.keys.length + 1,
      name: 'k',
      role: 'admin',
      storeIds: [],
      createdAt: new Date(0),
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      tokenHash: hashApiToken(token),
      ...changes,
    }
    this.keys.push(key)
    return key
  }
  async findByTokenHash(hash: Uint8Array) {
    this.lookups += 1
    const key = this.keys.find((stored) => Buffer.compare(stored.tokenHash, hash) === 0)
    return key === undefined ? null : { ...key }
  }
  recordUse(id: number, at: Date) {
    this.uses.push({ id, at })
  }
  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    return this.add('afk_unused', { ...key, tokenHash: key.tokenHash })
  }
  async list() {
    return this.keys
  }
  async revoke() {
    return null
  }
  async missingStores(storeIds: number[]) {
    return storeIds.filter((id) => id > 100)
  }
}

describe('AuthenticateApiKey', () => {
  const setup = () => {
    const keys = new InMemoryApiKeys()
    const clock = new FakeClock()
    return { keys, clock, authenticate: new AuthenticateApiKey(keys, clock) }
  }

  test('a known token authenticates as its key, its role and its stores', async () => {
    const { keys, authenticate } = setup()
    const token = generateApiToken()
    keys.add(token, { role: 'store', storeIds: [3] })

    assert.deepEqual(await authenticate.execute(token), { outcome: 'authenticated', principal: { keyId: 1, role: 'store', storeIds: [3] } })
  })

  test('malformed, unknown, expired and revoked tokens are rejected, each for its reason', async () => {
    const { keys, clock, authenticate } = setup()
    const expired = generateApiToken()
    const revoked = generateApiToken()
    keys.add(expired, { expiresAt: clock.now() })
    keys.add(revoked, { revokedAt: new Date(clock.ms - 1) })

    assert.deepEqual(await authenticate.execute('afk_nope'), { outcome: 'rejected', reason: 'malformed' })
    assert.deepEqual(await authenticate.execute(generateApiToken()), { outcome: 'rejected', reason: 'unknown' })
    assert.deepEqual(await authenticate.execute(expired), { outcome: 'rejected', reason: 'expired' })
    assert.deepEqual(await authenticate.execute(revoked), { outcome: 'rejected', reason: 'revoked' })
  })

  test('a malformed token costs no lookup', async () => {
    const { keys, authenticate } = setup()

    await authenticate.execute('Bearer')

    assert.equal(keys.lookups, 0)
  })

  test('looks a key up once per cache period, so a revocation is seen within that period', async () => {
    const { keys, clock, authenticate } = setup()
    const token = generateApiToken()
    const key = keys.add(token)

    for (let i = 0; i < 10; i++) assert.equal((await authenticate.execute(token)).outcome, 'authenticated')
    assert.equal(keys.lookups, 1)

    key.revokedAt = clock.now()
    clock.advance(DEFAULT_KEY_CACHE.ttlMs - 1)
    assert.equal((await authenticate.execute(token)).outcome, 'authenticated', 'still within the cache period')
    clock.advance(1)
    assert.deepEqual(await authenticate.execute(token), { outcome: 'rejected', reason: 'revoked' })
    assert.equal(keys.lookups, 2)
    assert.ok(DEFAULT_KEY_CACHE.ttlMs <= 5_000, 'the contract bounds revocation at 5 s')
  })

  test('a key in use is looked up again in the background past half its cache period, so requests do not wait', async () => {
    const { keys, clock, authenticate } = setup()
    const token = generateApiToken()
    const key = keys.add(token)
    await authenticate.execute(token)
    let release: () => void = () => undefined
    const working = keys.findByTokenHash.bind(keys)
    keys.findByTokenHash = async (hash) => {
      await new Promise<void>((resolve) => (release = resolve))
      return working(hash)
    }

    clock.advance(DEFAULT_KEY_CACHE.ttlMs / 2)
    key.revokedAt = clock.now()
    assert.equal((await authenticate.execute(token)).outcome, 'authenticated', 'answered from the cache while the refresh waits')
    assert.equal((await authenticate.execute(token)).outcome, 'authenticated')
    release()
    await new Promise((resolve) => setImmediate(resolve))

    assert.deepEqual(await authenticate.execute(token), { outcome: 'rejected', reason: 'revoked' })
    assert.equal(keys.lookups, 2, 'one background refresh, not one per request')
  })

  test('concurrent first uses of one token share one lookup', async () => {
    const { keys, authenticate } = setup()
    const token = generateApiToken()
    keys.add(token)

    await Promise.all(Array.from({ length: 20 }, () => authenticate.execute(token)))

    assert.equal(keys.lookups, 1)
  })

  test('an expiry passing while the key is cached takes effect at once', async () => {
    const { keys, clock, authenticate } = setup()
    const token = generateApiToken()
    keys.add(token, { expiresAt: new Date(clock.ms + 500) })

    assert.equal((await authenticate.execute(token)).outcome, 'authenticated')
    clock.advance(500)
    assert.deepEqual(await authenticate.execute(token), { outcome: 'rejected', reason: 'expired' })
  })

  test('records a key’s use at most once a minute', async () => {
    const { keys, clock, authenticate } = setup()
    const token = generateApiToken()
    keys.add(token)

    for (let second = 0; second < 125; second++) {
      await authenticate.execute(token)
      clock.advance(1_000)
    }

    assert.deepEqual(
      keys.uses.map((use) => use.at.getTime() - keys.uses[0]!.at.getTime()),
      [0, 60_000, 120_000],
    )
  })

  test('a failed lookup is not remembered', async () => {
    const { keys, authenticate } = setup()
    const token = generateApiToken()
    keys.add(token)
    const working = keys.findByTokenHash.bind(keys)
    keys.findByTokenHash = async () => {
      throw new Error('database unreachable')
    }

    await assert.rejects(authenticate.execute(token), /unreachable/)
    keys.findByTokenHash = working
    assert.equal((await authenticate.execute(token)).outcome, 'authenticated')
  })
})

describe('AuthorizeAccess', () => {
  const ownership = () => {
    const reads: number[] = []
    return {
      reads,
      storeOf: async (orderId: number) => {
        reads.push(orderId)
        return orderId === 50 ? 4 : null
      },
    }
  }
  const admin: Principal = { keyId: 1, role: 'admin', storeIds: [] }
  const catalog: Principal = { keyId: 2, role: 'catalog', storeIds: [] }
  const staff: Principal = { keyId: 3, role: 'store', storeIds: [4] }
  const orderRule = (orderId: number) => ({ role: 'store' as const, target: { kind: 'order' as const, orderId } })

  test("a store key may act on its store's orders only, which takes reading the order's store", async () => {
    const orders = ownership()
    const authorize = new AuthorizeAccess(orders)

    assert.equal(await authorize.execute(staff, orderRule(50)), 'allowed')
    assert.equal(await authorize.execute({ ...staff, storeIds: [5] }, orderRule(50)), 'forbidden')
    assert.equal(await authorize.execute(staff, orderRule(51)), 'not-found')
    assert.deepEqual(orders.reads, [50, 50, 51])
  })

  test('admin and catalog keys are decided without reading any row', async () => {
    const orders = ownership()
    const authorize = new AuthorizeAccess(orders)

    assert.equal(await authorize.execute(admin, orderRule(50)), 'allowed')
    assert.equal(await authorize.execute(catalog, orderRule(50)), 'forbidden')
    assert.equal(await authorize.execute(catalog, { role: 'catalog' }), 'allowed')
    assert.equal(await authorize.execute(staff, { role: 'catalog' }), 'forbidden')
    assert.equal(await authorize.execute(staff, { role: 'admin' }), 'forbidden')
    assert.equal(await authorize.execute(staff, { role: 'store', target: { kind: 'store', storeId: 4 } }), 'allowed')
    assert.equal(await authorize.execute(staff, { role: 'store', target: { kind: 'store', storeId: 9 } }), 'forbidden')
    assert.deepEqual(orders.reads, [])
  })
})

describe('CreateApiKey', () => {
  const create = (command: Parameters<CreateApiKey['execute']>[0]) => new CreateApiKey(new InMemoryApiKeys(), new FakeClock()).execute(command)

  test('returns the token once and stores only its hash', async () => {
    const keys = new InMemoryApiKeys()
    const { key, token } = await new CreateApiKey(keys, new FakeClock()).execute({ role: 'store', storeIds: [2, 2, 3] })

    assert.match(token, /^afk_[0-9A-Za-z]{43}$/)
    assert.deepEqual(keys.keys[0]!.tokenHash, hashApiToken(token))
    assert.deepEqual(key.storeIds, [2, 3])
    assert.equal(key.name, 'store key')
    assert.ok(!JSON.stringify(key).includes(token))
  })

  test('refuses stores on non-store keys, store keys without stores, unknown stores and past expiry dates', async () => {
    await assert.rejects(create({ role: 'store', storeIds: [] }), ValidationError)
    await assert.rejects(create({ role: 'admin', storeIds: [1] }), ValidationError)
    await assert.rejects(create({ role: 'store', storeIds: [101] }), /do not exist: 101/)
    await assert.rejects(create({ role: 'admin', storeIds: [], expiresOn: '2026-11-30' as CalendarDate }), /not in the future/)
    assert.ok((await create({ role: 'admin', storeIds: [], expiresOn: '2026-12-01' as CalendarDate })).key.expiresAt)
  })
})
