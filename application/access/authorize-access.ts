import { actsForStores, mayAccess, type Principal } from '../../domain/access/principal.js'
import type { OrderOwnership } from './ports/order-ownership.js'

/** The store an operation acts on: named by the request, or the store of the order it names. */
export type StoreTarget = { kind: 'store'; storeId: number } | { kind: 'order'; orderId: number }

/** What an operation requires, as its route declares it. */
export type AccessRule = { role: 'store'; target: StoreTarget } | { role: 'catalog' } | { role: 'admin' }

export type Authorization = 'allowed' | 'forbidden' | 'not-found'

/**
 * Whether an authenticated caller may perform an operation. Only a store key's right to an order
 * needs a read (the order's store); every other decision is made from the principal alone.
 */
export class AuthorizeAccess {
  constructor(private readonly orders: OrderOwnership) {}

  async execute(principal: Principal, rule: AccessRule): Promise<Authorization> {
    if (rule.role !== 'store') return mayAccess(principal, rule) ? 'allowed' : 'forbidden'
    if (mayAccess(principal, { role: 'admin' })) return 'allowed'
    if (!actsForStores(principal)) return 'forbidden'
    const storeId = rule.target.kind === 'store' ? rule.target.storeId : await this.orders.storeOf(rule.target.orderId)
    if (storeId === null) return 'not-found'
    return mayAccess(principal, { role: 'store', storeId }) ? 'allowed' : 'forbidden'
  }
}
