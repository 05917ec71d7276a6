import type { CacheCodec } from './cache.js'
import type { ProductHit, ProductHitPage } from '../../application/catalog/ports/product-search.js'

/** For values made of JSON types only. */
export function jsonCodec<T>(): CacheCodec<T> {
  return { encode: (value) => JSON.stringify(value), decode: (text) => JSON.parse(text) as T }
}

/** Search pages carry Dates, which JSON turns into strings: turned back here. */
export const productHitPageCodec: CacheCodec<ProductHitPage> = {
  encode: (page) => JSON.stringify(page),
  decode: (text) => {
    const page = JSON.parse(text) as ProductHitPage & { items: (ProductHit & { createdAt: string })[] }
    return { ...page, items: page.items.map((hit) => ({ ...hit, createdAt: new Date(hit.createdAt) })) }
  },
}

/** The same key for equal values whatever the order their fields were written in. */
export function canonicalKey(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field !== null && typeof field === 'object' && !Array.isArray(field)
      ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : field,
  )
}
