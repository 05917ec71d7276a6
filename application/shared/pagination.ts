/** A page of a list: `page` counts from 1. */
export interface PageRequest {
  page: number
  pageSize: number
}

export interface Page<T> {
  items: T[]
  /** How many items the whole list has, so clients can show totals and stop paging. */
  total: number
}
