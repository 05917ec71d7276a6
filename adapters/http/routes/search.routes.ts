import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify'
import type { ProductSearchCriteria } from '../../../application/catalog/ports/product-search.js'
import type { SearchProducts, SearchProductsQuery } from '../../../application/catalog/search-products.js'
import { MAX_SUGGESTIONS, type SuggestProducts } from '../../../application/catalog/suggest-products.js'
import { isPositiveId } from '../../../domain/shared/ids.js'
import { ValidationError } from '../../../domain/shared/validation-error.js'
import { pageEnvelope, toPageRequest } from '../pagination.js'
import { SerializedBodies } from '../serialized-bodies.js'
import { isSet, problemResponses } from '../schemas/common.schemas.js'
import { SearchPage, SearchQuery, SuggestionsView, SuggestQuery, toProductHitView } from '../schemas/search.schemas.js'

export interface SearchRoutesOptions {
  searchProducts: SearchProducts
  suggestProducts: SuggestProducts
  /**
   * Runs first on every autocomplete request, before its query is validated (the rate limiter:
   * refused and invalid requests count too, and carry its headers). It stops a request by
   * failing (an error the problem-details handler knows) or by sending the reply: an async guard
   * returns it, a callback guard does not call done.
   */
  suggestGuard?: onRequestHookHandler | onRequestAsyncHookHandler
}

/** Digits name a category by id; anything else by its exact name, case ignored. */
function toCategory(raw: string | undefined): ProductSearchCriteria['category'] {
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw)) return { name: raw }
  const id = Number(raw)
  if (!isPositiveId(id)) throw new ValidationError('category', 'must be a positive category id or a category name')
  return { id }
}

function toSearchQuery(query: SearchQuery): SearchProductsQuery {
  return {
    q: query.q,
    category: toCategory(query.category),
    minPrice: query.min_price,
    maxPrice: query.max_price,
    storeId: query.store_id,
    inStock: query.in_stock === undefined ? undefined : isSet(query.in_stock),
    sort: query.sort,
    page: toPageRequest(query),
  }
}

export const searchRoutes: FastifyPluginAsyncTypebox<SearchRoutesOptions> = async (app, { searchProducts, suggestProducts, suggestGuard }) => {
  const bodies = new SerializedBodies()
  app.get(
    '/api/search/products',
    {
      schema: {
        tags: ['search'],
        summary: 'Product search: keywords, filters, sorts and pages',
        querystring: SearchQuery,
        response: { 200: SearchPage, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const query = toSearchQuery(request.query)
      const page = await searchProducts.execute(query)
      return bodies.send(reply, page, request.url, () => ({ ...pageEnvelope(request, query.page, page, toProductHitView), count_exact: page.totalExact }))
    },
  )

  app.get(
    '/api/search/suggest',
    {
      onRequest: suggestGuard === undefined ? [] : [suggestGuard],
      schema: {
        tags: ['search'],
        summary: `Autocomplete: up to ${MAX_SUGGESTIONS} distinct product titles`,
        querystring: SuggestQuery,
        response: { 200: SuggestionsView, ...problemResponses(400, 429) },
      },
    },
    async (request, reply) => {
      const found = await suggestProducts.execute(request.query.q)
      return bodies.send(reply, found.suggestions, found.query, () => found)
    },
  )
}
