import type { PageRequest } from '../../application/shared/pagination.js'

/** The rows an OFFSET skips to reach a page: pages count from 1. */
export function offsetOf({ page, pageSize }: PageRequest): number {
  return (page - 1) * pageSize
}
