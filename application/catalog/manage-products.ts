import { UnknownCategoryError } from '../../domain/catalog/catalog-errors.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { CatalogChanged } from './ports/catalog-changed.js'
import type { ProductFields, ProductRecord, Products } from './ports/catalog-records.js'

/** Most products one bulk import may carry. */
export const MAX_BULK_PRODUCTS = 1_000

/** Titles are stored trimmed; the other fields as given. */
function normalized<T extends Partial<ProductFields>>(fields: T): T {
  return fields.title === undefined ? fields : { ...fields, title: fields.title.trim() }
}

/**
 * Products: created one by one or in bulk (all or nothing), changed, and archived rather than
 * erased. Every write invalidates the catalog's cached views before it returns, so search,
 * autocomplete, inventory listings and product reads show it at once.
 */
export class ManageProducts {
  constructor(
    private readonly products: Products,
    private readonly catalogChanged: CatalogChanged,
  ) {}

  async get(id: number): Promise<ProductRecord> {
    const product = await this.products.find(id)
    if (product === null) throw new NotFoundError('Product', id)
    return product
  }

  async create(fields: ProductFields): Promise<ProductRecord> {
    const [id] = await this.import([fields], () => '/category_id')
    return this.get(id!)
  }

  /** `pathOf(index)` names an entry's category_id in errors, as the client's body has it. */
  async import(entries: ProductFields[], pathOf = (index: number) => `/products/${index}/category_id`): Promise<number[]> {
    const created = await this.products.create(entries.map(normalized))
    if ('missingCategoryIds' in created) {
      const missing = new Set(created.missingCategoryIds)
      throw new UnknownCategoryError(
        entries.flatMap((entry, index) => (missing.has(entry.categoryId) ? [{ path: pathOf(index), categoryId: entry.categoryId }] : [])),
      )
    }
    await this.catalogChanged.notify()
    return created.ids
  }

  async update(id: number, changes: Partial<ProductFields>): Promise<ProductRecord> {
    const updated = await this.products.update(id, normalized(changes))
    if (updated === null) throw new NotFoundError('Product', id)
    if ('missingCategoryId' in updated) throw new UnknownCategoryError([{ path: '/category_id', categoryId: updated.missingCategoryId }])
    await this.catalogChanged.notify()
    return updated
  }

  /** Gone from search, autocomplete, listings, reads and new orders; old orders keep it. */
  async archive(id: number): Promise<void> {
    if (!(await this.products.archive(id))) throw new NotFoundError('Product', id)
    await this.catalogChanged.notify()
  }
}
