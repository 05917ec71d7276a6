import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Problem } from '../../adapters/http/problem-details.js'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { codePointRepresentatives } from '../support/code-points.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'

let storeId: number
let productId: number

// Protected routes are called with an admin key: this file is about ids, not access.
let admin: TestKey
const subject = appOverTestDatabase({
  prepare: async ({ pool }) => {
    admin = await adminKey(pool)
    storeId = await addStore(pool)
    ;[productId] = (await addProducts(pool, [
      { title: 'Café Crème Mug', description: 'Stoneware, 300 ml' },
      { title: 'Steel Desk Lamp' },
      { title: 'Ångström Ruler' },
    ])) as [number]
    await stock(pool, storeId, { [productId]: 4 })
  },
  // No rate limiter: the property test sends hundreds of suggest requests from one address.
  deps: { suggestGuard: undefined },
})

const get = (url: string) => subject.app.inject({ method: 'GET', url, headers: admin.headers })

function assertValidationProblem(response: Awaited<ReturnType<typeof get>>, label: string): void {
  assert.equal(response.statusCode, 400, `${label} answered ${response.statusCode}: ${response.body}`)
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/, label)
  assert.equal(response.json<Problem>().type, 'https://aforro.dev/problems/validation-error', label)
  assert.ok(response.headers['x-request-id'], `${label} carries x-request-id`)
}

/** Texts JavaScript or Ajv would read as a number, or that are not plain digits. */
const LOOSE_IDS = ['0x10', '1e0', '+1', '1.0', '01', '%201', '1%0A', '1%20', '-1', '0b1', '1_0', 'Infinity', '%EF%BC%91', '%D9%A1', '']

describe('strict ids', () => {
  test('a path id that is not plain digits is 400 on every route, never the number it resembles', async () => {
    for (const id of LOOSE_IDS.filter((id) => id !== '')) {
      for (const url of [`/stores/${id}/inventory/`, `/stores/${id}/inventory/summary/`, `/stores/${id}/orders/`, `/orders/${id}/`]) {
        assertValidationProblem(await get(url), url)
      }
      const restock = await subject.app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${id}/`, payload: { quantity: 1 }, headers: admin.headers })
      assertValidationProblem(restock, `PUT product ${id}`)
    }
  })

  test('a PUT to /stores/0x10/… writes nothing: 400 before the body is looked at', async () => {
    const response = await subject.app.inject({
      method: 'PUT',
      url: `/stores/0x${storeId.toString(16)}/inventory/${productId}/`,
      payload: { quantity: 99 },
      headers: admin.headers,
    })

    assertValidationProblem(response, 'PUT with a hexadecimal store id')
    const { rows } = await subject.db.pool.query<{ quantity: number }>('SELECT quantity FROM inventory WHERE store_id = $1 AND product_id = $2', [
      storeId,
      productId,
    ])
    assert.equal(rows[0]?.quantity, 4)
  })

  test('query ids and page numbers are digits only too', async () => {
    for (const id of LOOSE_IDS) {
      assertValidationProblem(await get(`/api/search/products/?store_id=${id}`), `store_id=${id}`)
      assertValidationProblem(await get(`/stores/${storeId}/inventory/?page=${id}`), `page=${id}`)
      assertValidationProblem(await get(`/stores/${storeId}/orders/?page_size=${id}`), `page_size=${id}`)
    }
  })

  test('plain digits still work', async () => {
    assert.equal((await get(`/stores/${storeId}/inventory/?page=1&page_size=5`)).statusCode, 200)
    assert.equal((await get(`/api/search/products/?store_id=${storeId}`)).statusCode, 200)
    assert.equal((await get(`/stores/999999/inventory/`)).statusCode, 404)
  })
})

describe('malformed URLs', () => {
  test('invalid UTF-8 in a query string is 400, not passed on raw', async () => {
    for (const query of ['q=%FF%FE', 'q=caf%C3', 'q=%C3%28', 'q=%ED%A0%80', 'q=%E0%80%AF', 'q=ab%', 'q=%zz']) {
      assertValidationProblem(await get(`/api/search/products/?${query}`), query)
    }
  })

  test('bad percent-encoding in the path is a problem document with x-request-id', async () => {
    const response = await get('/stores/%E0%A4%A/inventory/')

    assertValidationProblem(response, 'bad path escape')
    assert.equal(response.json<Problem>().instance, '/stores/%E0%A4%A/inventory/')
  })

  test('a path segment over the router limit is 414 uri-too-long', async () => {
    const response = await get(`/orders/${'9'.repeat(300)}/`)

    assert.equal(response.statusCode, 414)
    assert.equal(response.json<Problem>().type, 'https://aforro.dev/problems/uri-too-long')
    assert.ok(response.headers['x-request-id'])
  })
})

/** Every general category's representatives (see code-points.ts) and all printable ASCII. */
function characters(): { label: string; character: string; codePoint: number }[] {
  const ascii = Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index))
  return [...new Set([...codePointRepresentatives(), ...ascii])].map((character) => {
    const codePoint = character.codePointAt(0) as number
    return { label: `U+${codePoint.toString(16).padStart(4, '0')}`, character, codePoint }
  })
}

describe('every kind of character, in ids and in search text, never yields a 5xx', () => {
  const representatives = characters()
  const lone = '%ED%A0%80' // a UTF-16 surrogate written as UTF-8 bytes: not valid UTF-8

  test('as a path or query id: 400, never 5xx and never a match', async () => {
    const failures: string[] = []
    // 0-9 make real ids; any other digit (Arabic-Indic, fullwidth…) does not.
    for (const { label, character, codePoint } of representatives.filter(({ codePoint }) => codePoint < 0x30 || codePoint > 0x39)) {
      const text = encodeURIComponent(character)
      for (const url of [`/orders/${text}/`, `/stores/1${text}/inventory/`, `/api/search/products/?store_id=${text}1`]) {
        const { statusCode } = await get(url)
        // `/orders/./` is `/orders/` once its dot segment is removed (RFC 3986): no such route.
        const dotSegment = codePoint === 0x2e && statusCode === 404 && url === '/orders/./'
        if (statusCode !== 400 && !dotSegment) failures.push(`${label} ${url} → ${statusCode}`)
      }
    }
    for (const url of [`/orders/${lone}/`, `/api/search/products/?store_id=${lone}`]) {
      const { statusCode } = await get(url)
      if (statusCode !== 400) failures.push(`lone surrogate ${url} → ${statusCode}`)
    }
    assert.deepEqual(failures, [])
  })

  test('in q of search and of autocomplete: a 2xx or a 4xx, never a 5xx', async () => {
    const failures: string[] = []
    for (const { label, character } of representatives) {
      const texts = [character, `x${character}`, `caf${character}`, `${character}lamp steel`, `ste${character}${character}`]
      for (const text of texts) {
        const q = encodeURIComponent(text)
        for (const url of [`/api/search/products/?q=${q}`, `/api/search/suggest/?q=${q}`]) {
          const { statusCode } = await get(url)
          if (statusCode >= 500) failures.push(`${label} ${url} → ${statusCode}`)
        }
      }
    }
    for (const url of [`/api/search/products/?q=x${lone}`, `/api/search/suggest/?q=abc${lone}`]) {
      const { statusCode } = await get(url)
      if (statusCode !== 400) failures.push(`lone surrogate ${url} → ${statusCode}`)
    }
    assert.deepEqual(failures, [])
  })
})
