export interface OrderToConfirm {
  id: number
  storeId: number
  storeName: string
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED'
  createdAt: Date
  confirmationSentAt: Date | null
  /** In the order the client named them. */
  items: { productId: number; title: string; quantityRequested: number }[]
}

/** The part of an order the confirmation job reads, and the one fact it records. */
export interface OrderConfirmations {
  find(orderId: number): Promise<OrderToConfirm | undefined>
  /** Records when the confirmation went out; a time already recorded is kept. */
  markSent(orderId: number, sentAt: Date): Promise<void>
}
