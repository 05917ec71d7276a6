declare const brand: unique symbol

/** Ids are positive integers; the brand keeps a store id from being passed where a product id is due. */
export type Id<Entity extends string> = number & { readonly [brand]: Entity }

export type StoreId = Id<'store'>
export type ProductId = Id<'product'>
export type OrderId = Id<'order'>

export function isPositiveId(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0
}
