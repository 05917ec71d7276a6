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
  // The query string is parsed once for both links: each sets both parameters, so the second
  // reads as if parsed afresh. URLSearchParams alone, not URL: the path is the route's, already
  // matched, and a URL costs several times as much to build.
  const queryStart = request.url.indexOf('?')
  const path = queryStart < 0 ? request.url : request.url.slice(0, queryStart)
  let params: URLSearchParams | undefined
  const linkTo = (target: number): string => {
    params ??= new URLSearchParams(queryStart < 0 ? '' : request.url.slice(queryStart + 1))
    params.set('page', String(target))
    params.set('page_size', String(pageRequest.pageSize))
    return `${path}?${params.toString()}`
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
