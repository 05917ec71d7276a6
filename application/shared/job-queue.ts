import type { OrderId } from '../../domain/shared/ids.js'

/** The background jobs the service runs, with the payload each carries. */
export interface JobPayloads {
  'order-confirmation': { orderId: OrderId }
  'daily-inventory-summary': { date?: string }
}

export type JobName = keyof JobPayloads

export const JOB_NAMES: readonly JobName[] = ['order-confirmation', 'daily-inventory-summary']

/**
 * Enqueues work for the worker, on its own. A job that must commit with other writes (an order's
 * confirmation) is written by the repository writing them (OrderRepository.insert).
 */
export interface JobQueue {
  enqueue<Name extends JobName>(name: Name, payload: JobPayloads[Name]): Promise<void>
}
