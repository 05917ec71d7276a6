import { parseCalendarDate, utcDateOf, type CalendarDate } from '../../domain/shared/calendar-date.js'
import type { Clock } from '../shared/clock.js'
import type { InventorySummaries } from './ports/inventory-summaries.js'

export interface BuildSummaryCommand {
  /** `YYYY-MM-DD`; absent means today in UTC. */
  date?: string
}

export interface BuildSummaryResult {
  date: CalendarDate
  stores: number
}

/**
 * Files a snapshot of every store's stock under one day. Running it again for the same day
 * replaces that day's rows, so a retried or re-triggered job leaves one row per store and day.
 */
export class BuildDailyInventorySummary {
  constructor(
    private readonly summaries: InventorySummaries,
    private readonly clock: Clock,
    private readonly lowStockThreshold: number,
  ) {}

  async execute(command: BuildSummaryCommand): Promise<BuildSummaryResult> {
    const now = this.clock.now()
    const date = command.date === undefined ? utcDateOf(now) : parseCalendarDate(command.date)
    const stores = await this.summaries.rebuild(date, this.lowStockThreshold, now)
    return { date, stores }
  }
}
