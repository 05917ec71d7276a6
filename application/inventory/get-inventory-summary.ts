import { DomainError, NotFoundError } from '../../domain/shared/domain-error.js'
import type { StoreId } from '../../domain/shared/ids.js'
import type { InventorySummaries, InventorySummary } from './ports/inventory-summaries.js'

export class SummaryNotGeneratedError extends DomainError {
  readonly code = 'not-found'

  constructor(storeId: number) {
    super(`No inventory summary of store ${storeId} was generated yet`)
  }
}

/** The latest daily summary of a store; not found when the store is absent or has none yet. */
export class GetInventorySummary {
  constructor(private readonly summaries: InventorySummaries) {}

  async execute(storeId: StoreId): Promise<InventorySummary> {
    const { storeExists, summary } = await this.summaries.latest(storeId)
    if (!storeExists) throw new NotFoundError('store', storeId)
    if (!summary) throw new SummaryNotGeneratedError(storeId)
    return summary
  }
}
