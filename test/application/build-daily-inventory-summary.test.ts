import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { InventorySummaries, LatestSummary } from '../../application/inventory/ports/inventory-summaries.js'
import { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import { InvalidCalendarDateError, type CalendarDate } from '../../domain/shared/calendar-date.js'

class SummariesFake implements InventorySummaries {
  readonly rebuilds: { date: CalendarDate; threshold: number; generatedAt: Date }[] = []

  async rebuild(date: CalendarDate, threshold: number, generatedAt: Date): Promise<number> {
    this.rebuilds.push({ date, threshold, generatedAt })
    return 3
  }

  async latest(): Promise<LatestSummary> {
    return { storeExists: false }
  }
}

// 22:30 UTC: still the 21st there, whatever zone the machine runs in.
const NOW = new Date('2026-11-21T23:30:00+01:00')

function arrange(threshold = 5) {
  const summaries = new SummariesFake()
  return { summaries, useCase: new BuildDailyInventorySummary(summaries, { now: () => NOW }, threshold) }
}

describe('BuildDailyInventorySummary', () => {
  test('without a date, files the summary under the current UTC day with the configured threshold', async () => {
    const { summaries, useCase } = arrange(8)

    const result = await useCase.execute({})

    assert.deepEqual(result, { date: '2026-11-21', stores: 3 })
    assert.deepEqual(summaries.rebuilds, [{ date: '2026-11-21', threshold: 8, generatedAt: NOW }])
  })

  test('files it under the requested day', async () => {
    const { summaries, useCase } = arrange()

    await useCase.execute({ date: '2026-03-01' })

    assert.equal(summaries.rebuilds[0]?.date, '2026-03-01')
  })

  test('refuses a day that does not exist and writes nothing', async () => {
    const { summaries, useCase } = arrange()

    await assert.rejects(useCase.execute({ date: '2026-02-30' }), InvalidCalendarDateError)

    assert.equal(summaries.rebuilds.length, 0)
  })
})
