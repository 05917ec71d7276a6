import { ValidationError } from './validation-error.js'

declare const calendarDateBrand: unique symbol

/** A day of the calendar as `YYYY-MM-DD`, with no time of day and no zone of its own. */
export type CalendarDate = string & { readonly [calendarDateBrand]: true }

export class InvalidCalendarDateError extends ValidationError {
  constructor(text: string) {
    super('date', `"${text}" is not a calendar date (YYYY-MM-DD)`)
  }
}

const SHAPE = /^\d{4}-\d{2}-\d{2}$/

/** Accepts only real days: "2026-02-30" is refused rather than rolled over into March. */
export function parseCalendarDate(text: string): CalendarDate {
  if (!SHAPE.test(text)) throw new InvalidCalendarDateError(text)
  const instant = new Date(`${text}T00:00:00.000Z`)
  if (Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 10) !== text) throw new InvalidCalendarDateError(text)
  return text as CalendarDate
}

/** The day an instant falls on in UTC, the zone every schedule and summary of the service uses. */
export function utcDateOf(instant: Date): CalendarDate {
  return instant.toISOString().slice(0, 10) as CalendarDate
}
