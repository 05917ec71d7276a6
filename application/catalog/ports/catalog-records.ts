import type { Page, PageRequest } from '../../shared/pagination.js'
import type { ProductHit } from './product-search.js'

export interface CategoryRecord {
  id: number
  name: string
  /** Live (not archived) products in the category. */
  productCount: number
}

export interface ProductFields {
  title: string
  description: string | null
  /** A decimal string with two decimals, never a float: "12.50". */
  price: string
  categoryId: number
}

/** A product as read by id: what search answers about it, and when it last changed. */
export interface ProductRecord extends Omit<ProductHit, 'quantity'> {
  updatedAt: Date
}

export interface StoreRecord {
  id: number
  name: string
  location: string
}

export interface Categories {
  list(page: PageRequest): Promise<Page<CategoryRecord>>
  /** Throws CategoryNameTakenError when the name is taken, ignoring case. */
  create(name: string): Promise<CategoryRecord>
  /** Null when there is no such category; throws CategoryNameTakenError on a clash. */
  rename(id: number, name: string): Promise<CategoryRecord | null>
  delete(id: number): Promise<'deleted' | 'in-use' | 'missing'>
}

export type ProductsCreated = { ids: number[] } | { missingCategoryIds: number[] }

export interface Products {
  /** A live product; null when missing or archived. */
  find(id: number): Promise<ProductRecord | null>
  /**
   * All or nothing, in one transaction and a constant number of statements: ids in the order
   * given, or the category ids that do not exist (then nothing is written).
   */
  create(products: ProductFields[]): Promise<ProductsCreated>
  /** Null when missing or archived; `missingCategoryId` when the new category does not exist. */
  update(id: number, changes: Partial<ProductFields>): Promise<ProductRecord | { missingCategoryId: number } | null>
  /** False when missing or archived already. */
  archive(id: number): Promise<boolean>
}

export interface Stores {
  list(page: PageRequest): Promise<Page<StoreRecord>>
  create(store: Omit<StoreRecord, 'id'>): Promise<StoreRecord>
  /** Null when there is no such store. */
  update(id: number, changes: Partial<Omit<StoreRecord, 'id'>>): Promise<StoreRecord | null>
}
