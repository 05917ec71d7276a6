/** Records on the order that its confirmation went out. */
export interface OrderConfirmations {
  /** A time already recorded is kept: the first send is the one that counts. */
  markSent(orderId: number, sentAt: Date): Promise<void>
}
