import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidCalendarDateError, parseCalendarDate, utcDateOf } from '../../domain/shared/calendar-date.js'

describe('calendar dates', () => {
  test('accepts real days, leap days included', () => {
    for (const text of ['2026-11-21', '2024-02-29', '2000-01-01', '2026-12-31']) {
      assert.equal(parseCalendarDate(text), text)
    }
  })

  test('refuses anything that is not exactly a real YYYY-MM-DD day', () => {
    for (const text of ['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-1-5', '21-11-2026', '2026-11-21T00:00:00Z', '', 'today']) {
      assert.throws(() => parseCalendarDate(text), InvalidCalendarDateError, text)
    }
  })

  test('the UTC day of an instant ignores the local zone', () => {
    assert.equal(utcDateOf(new Date('2026-11-21T23:59:59.999Z')), '2026-11-21')
    assert.equal(utcDateOf(new Date('2026-11-22T00:30:00+02:00')), '2026-11-21')
  })
})
