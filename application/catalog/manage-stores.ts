import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { Page, PageRequest } from '../shared/pagination.js'
import type { StoreRecord, Stores } from './ports/catalog-records.js'

type StoreFields = Omit<StoreRecord, 'id'>

const trimmed = <T extends Partial<StoreFields>>(fields: T): T => ({
  ...fields,
  ...(fields.name === undefined ? {} : { name: fields.name.trim() }),
  ...(fields.location === undefined ? {} : { location: fields.location.trim() }),
})

/** Stores: no cached view shows a store's name or location, so there is nothing to invalidate. */
export class ManageStores {
  constructor(private readonly stores: Stores) {}

  list(page: PageRequest): Promise<Page<StoreRecord>> {
    return this.stores.list(page)
  }

  create(fields: StoreFields): Promise<StoreRecord> {
    return this.stores.create(trimmed(fields))
  }

  async update(id: number, changes: Partial<StoreFields>): Promise<StoreRecord> {
    const store = await this.stores.update(id, trimmed(changes))
    if (store === null) throw new NotFoundError('Store', id)
    return store
  }
}
