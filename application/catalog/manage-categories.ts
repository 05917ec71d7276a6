import { CategoryInUseError } from '../../domain/catalog/catalog-errors.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { Page, PageRequest } from '../shared/pagination.js'
import type { CatalogChanged } from './ports/catalog-changed.js'
import type { Categories, CategoryRecord } from './ports/catalog-records.js'

/**
 * Categories: names are trimmed and unique ignoring case. A rename changes the search document of
 * every product in the category (the database's triggers, in the renaming transaction); every
 * write invalidates the catalog's cached views before it returns.
 */
export class ManageCategories {
  constructor(
    private readonly categories: Categories,
    private readonly catalogChanged: CatalogChanged,
  ) {}

  list(page: PageRequest): Promise<Page<CategoryRecord>> {
    return this.categories.list(page)
  }

  async create(name: string): Promise<CategoryRecord> {
    const category = await this.categories.create(name.trim())
    await this.catalogChanged.notify()
    return category
  }

  async rename(id: number, name: string): Promise<CategoryRecord> {
    const category = await this.categories.rename(id, name.trim())
    if (category === null) throw new NotFoundError('Category', id)
    await this.catalogChanged.notify()
    return category
  }

  async delete(id: number): Promise<void> {
    const outcome = await this.categories.delete(id)
    if (outcome === 'missing') throw new NotFoundError('Category', id)
    if (outcome === 'in-use') throw new CategoryInUseError(id)
    await this.catalogChanged.notify()
  }
}
