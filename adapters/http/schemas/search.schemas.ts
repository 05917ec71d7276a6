import { Type, type Static } from '@sinclair/typebox'
import { SEARCH_COUNT_CAP, type ProductHit } from '../../../application/catalog/ports/product-search.js'
import { MAX_SUGGESTIONS, MIN_SUGGEST_QUERY_LENGTH } from '../../../application/catalog/suggest-products.js'
import { Flag, Id, Money, PageOf, PaginationQuery, Timestamp, WITHOUT_CONTROL_CHARACTERS } from './common.schemas.js'

export const MAX_QUERY_LENGTH = 200

/** Up to numeric(12,2): ten integer digits, at most two decimals. */
const Price = Type.String({ pattern: '^\\d{1,10}(\\.\\d{1,2})?$', examples: ['10', '99.90'] })

export const SearchQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: MAX_QUERY_LENGTH,
        pattern: WITHOUT_CONTROL_CHARACTERS,
        description:
          'Words matched in title, category name and description, all required; case, accents and English stop words ignored. ' +
          'The last word also matches as a prefix once it has 3 characters.',
      }),
    ),
    category: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: WITHOUT_CONTROL_CHARACTERS,
        description: 'A category id (digits only) or an exact category name, case ignored',
      }),
    ),
    min_price: Type.Optional(Price),
    max_price: Type.Optional(Price),
    store_id: Type.Optional({ ...Id, description: 'Only products this store carries, each with its quantity there' }),
    in_stock: Type.Optional({
      ...Flag,
      description: 'With store_id: quantity above 0 there (true) or exactly 0 (false). Without: in stock in some store (true) or in none (false).',
    }),
    sort: Type.Optional(
      Type.Union([Type.Literal('relevance'), Type.Literal('newest'), Type.Literal('price'), Type.Literal('-price')], {
        description:
          'Default: relevance with q, newest without. relevance = every word in the title (shorter titles first, then A to Z), ' +
          'then every word in title or category name, then the rest (both newest first); newest = created_at desc, id desc; price = price, id; -price = price desc, id desc.',
      }),
    ),
    ...PaginationQuery,
  },
  { additionalProperties: false },
)

export type SearchQuery = Static<typeof SearchQuery>

export const ProductHitView = Type.Object(
  {
    id: Id,
    title: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    price: Money,
    category: Type.Object({ id: Id, name: Type.String() }),
    created_at: Timestamp,
    quantity: Type.Optional(Type.Integer({ minimum: 0, description: 'Only with store_id: the quantity in that store' })),
  },
  { title: 'ProductHit' },
)

export type ProductHitView = Static<typeof ProductHitView>

export const SearchPage = Type.Composite(
  [
    PageOf(ProductHitView, 'SearchPageEnvelope'),
    Type.Object({
      count_exact: Type.Boolean({
        description: `false when counting stopped at ${SEARCH_COUNT_CAP.toLocaleString('en')} matches: count is then ${SEARCH_COUNT_CAP.toLocaleString('en')} and the pages follow from it`,
      }),
    }),
  ],
  { title: 'SearchPage' },
)

export type SearchPageView = Static<typeof SearchPage>

export const SuggestQuery = Type.Object(
  {
    q: Type.String({
      minLength: MIN_SUGGEST_QUERY_LENGTH,
      maxLength: MAX_QUERY_LENGTH,
      pattern: WITHOUT_CONTROL_CHARACTERS,
      description: `At least ${MIN_SUGGEST_QUERY_LENGTH} characters besides surrounding spaces; case and accents ignored`,
    }),
  },
  { additionalProperties: false },
)

export const SuggestionsView = Type.Object(
  {
    query: Type.String(),
    suggestions: Type.Array(Type.String(), {
      maxItems: MAX_SUGGESTIONS,
      description: 'Distinct titles: those starting with q, then those where q starts a later word, then any containing q; shorter first, then A→Z',
    }),
  },
  { title: 'Suggestions' },
)

export function toProductHitView(hit: ProductHit): ProductHitView {
  const view: ProductHitView = {
    id: hit.id,
    title: hit.title,
    description: hit.description,
    price: hit.price,
    category: hit.category,
    created_at: hit.createdAt.toISOString(),
  }
  if (hit.quantity !== undefined) view.quantity = hit.quantity
  return view
}
