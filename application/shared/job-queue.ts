import type { OrderId } from '../../domain/shared/ids.js'

/** The background jobs the service runs, with the payload each carries. */
export interface JobPayloads {
  'order-confirmation': { orderId: OrderId }
  'daily-inventory-summary': { date?: string }
}

export type JobName = keyof JobPayloads

export const JOB_NAMES: readonly JobName[] = ['order-confirmation', 'daily-inventory-summary']

/**
 * Enqueues work for the worker. A queue obtained from a unit of work enqueues inside its
 * transaction: the job exists if and only if the transaction commits.
 */
export interface JobQueue {
  enqueue<Name extends JobName>(name: Name, payload: JobPayloads[Name]): Promise<void>
}
