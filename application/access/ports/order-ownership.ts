/** Which store an order belongs to: what a store key's right to an order depends on. */
export interface OrderOwnership {
  /** The order's store id, or null when there is no such order. */
  storeOf(orderId: number): Promise<number | null>
}
