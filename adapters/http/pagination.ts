import type { FastifyRequest } from 'fastify'
import type { Page, PageRequest } from '../../application/shared/pagination.js'

export interface PageEnvelope<T> {
  count: number
  page: number
  page_size: number
  total_pages: number
  next: string | null
  previous: string | null
  results: T[]
}

export function toPageRequest(query: { page: number; page_size: number }): PageRequest {
  return { page: query.page, pageSize: query.page_size }
}

/** The one list envelope of the API; next/previous keep every other query parameter of the request. */
export function pageEnvelope<Item, View>(
  request: FastifyRequest,
  pageRequest: PageRequest,
  page: Page<Item>,
  toView: (item: Item) => View,
): PageEnvelope<View> {
  const totalPages = Math.ceil(page.total / pageRequest.pageSize)
  // Parsed once for both links: each sets both parameters, so the second reads as if parsed afresh.
  let url: URL | undefined
  const linkTo = (target: number): string => {
    url ??= new URL(request.url, 'http://placeholder')
    url.searchParams.set('page', String(target))
    url.searchParams.set('page_size', String(pageRequest.pageSize))
    return `${url.pathname}${url.search}`
  }
  return {
    count: page.total,
    page: pageRequest.page,
    page_size: pageRequest.pageSize,
    total_pages: totalPages,
    next: pageRequest.page < totalPages ? linkTo(pageRequest.page + 1) : null,
    previous: pageRequest.page > 1 ? linkTo(Math.min(pageRequest.page - 1, Math.max(totalPages, 1))) : null,
    results: page.items.map(toView),
  }
}
