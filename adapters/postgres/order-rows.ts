import type { Shortage } from '../../domain/ordering/order.js'
import type { ProductId } from '../../domain/shared/ids.js'

/** How a rejection's short lines are stored in orders.rejection (jsonb). */
interface ShortageJson {
  product_id: number
  requested: number
  available: number
}

export function shortagesToJson(shortages: Shortage[]): ShortageJson[] {
  return shortages.map((s) => ({ product_id: s.productId, requested: s.requested, available: s.available }))
}

export function shortagesFromJson(json: ShortageJson[] | null): Shortage[] | null {
  return json === null ? null : json.map((s) => ({ productId: s.product_id as ProductId, requested: s.requested, available: s.available }))
}
