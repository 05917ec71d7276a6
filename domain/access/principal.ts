export const ROLES = ['admin', 'catalog', 'store'] as const

/** `admin` may do everything, `catalog` manage the catalog, `store` act for its own stores. */
export type Role = (typeof ROLES)[number]

/** Who is calling: the API key that authenticated the request, its role and (for `store`) its stores. */
export interface Principal {
  keyId: number
  role: Role
  storeIds: readonly number[]
}

/**
 * What an operation requires: a store's staff (of that store), catalog management, or an admin.
 * An admin meets every requirement.
 */
export type AccessRequirement = { role: 'store'; storeId: number } | { role: 'catalog' } | { role: 'admin' }

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text)
}

export function mayAccess(principal: Principal, requirement: AccessRequirement): boolean {
  if (principal.role === 'admin') return true
  if (requirement.role === 'store') return principal.role === 'store' && principal.storeIds.includes(requirement.storeId)
  return principal.role === requirement.role
}

/** Whether the principal may act for some store at all, before knowing which store is at stake. */
export function actsForStores(principal: Principal): boolean {
  return principal.role === 'admin' || principal.role === 'store'
}
