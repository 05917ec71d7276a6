import type { CalendarDate } from '../../../domain/shared/calendar-date.js'
import type { StoreId } from '../../../domain/shared/ids.js'

export interface LowStockItem {
  productId: number
  title: string
  quantity: number
}

export interface InventorySummary {
  storeId: number
  date: CalendarDate
  /** Products the store carries, those at zero included. */
  skuCount: number
  totalUnits: number
  outOfStock: number
  /** Carried products above zero and below the threshold, lowest quantity first. */
  lowStock: LowStockItem[]
  generatedAt: Date
}

export interface LatestSummary {
  storeExists: boolean
  /** Absent when no summary of the store was generated yet. */
  summary?: InventorySummary
}

/** Daily per-store stock summaries: computed from the current levels, kept one per store and day. */
export interface InventorySummaries {
  /**
   * Summarises every store's current levels under `date`, replacing that day's rows if they
   * exist, as one statement; returns how many stores were summarised.
   */
  rebuild(date: CalendarDate, lowStockThreshold: number, generatedAt: Date): Promise<number>
  /** The store's summary with the latest date. */
  latest(storeId: StoreId): Promise<LatestSummary>
}
