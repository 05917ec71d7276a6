import { CATALOG_SCOPE, storeOfScope } from '../cache/cache-scopes.js'

/** Store views are spread over this many slot groups, by store id. */
export const STORE_SLOT_GROUPS = 8
/** The group of the views that do not depend on one store: catalog-only and "in stock anywhere". */
const SHARED_GROUP = 'shared'

/**
 * Where each cache key lives, so that the cache works on a Redis Cluster. A slot group is a hash
 * tag: every key and shard channel of a group hashes to one slot, so each script touches one
 * slot (a cluster refuses anything else), and each group's bumps and heartbeats pass through one
 * node in order.
 *
 * An entry lives in the group of the one scope it depends on that is not replicated (its store's
 * stock, or the shared group). The catalog scope, which nearly every entry depends on, is
 * replicated: each group keeps a generation of it, and bumping it bumps every group. Catalog
 * writes are rare and stock writes are not, so the cost lands on the rare side, and a read stays
 * one script on one node. Stock views of different stores land in different groups, so on
 * different slots, and over the masters.
 */
export class RedisKeyLayout {
  readonly groups: readonly string[]

  constructor(private readonly prefix: string) {
    this.groups = [SHARED_GROUP, ...Array.from({ length: STORE_SLOT_GROUPS }, (_, n) => `stores-${n}`)]
  }

  /** The group an entry depending on these scopes lives in; throws when they span two groups (no script could read them). */
  homeOf(dependsOn: readonly string[]): string {
    const homes = new Set(dependsOn.filter((scope) => scope !== CATALOG_SCOPE).map((scope) => this.groupOf(scope)))
    if (homes.size > 1) throw new Error(`cache entry depends on scopes in several slot groups: ${dependsOn.join(', ')}`)
    return [...homes][0] ?? SHARED_GROUP
  }

  /** Each group a bump of these scopes must reach, with the scopes to move on there. */
  bumpsByGroup(scopes: readonly string[]): Map<string, string[]> {
    const byGroup = new Map<string, string[]>()
    for (const scope of scopes) {
      for (const group of scope === CATALOG_SCOPE ? this.groups : [this.groupOf(scope)]) {
        const list = byGroup.get(group) ?? []
        if (list.length === 0) byGroup.set(group, list)
        list.push(scope)
      }
    }
    return byGroup
  }

  generationKey(group: string, scope: string): string {
    return `${this.tag(group)}generation:${scope}`
  }

  /** The start of an entry's key; the generations it was filled under complete it. */
  entryKey(group: string, name: string): string {
    return `${this.tag(group)}cache:${name}`
  }

  /** Counts the group's bumps, so a subscriber can tell whether it heard all of them. */
  bumpCounterKey(group: string): string {
    return `${this.tag(group)}bumps`
  }

  /** The shard channel a group's bumps are published on. */
  invalidationChannel(group: string): string {
    return `${this.tag(group)}invalidated`
  }

  /**
   * The processes listening to the group's channel whose near caches may still be serving hits,
   * each scored with the time (Redis's clock) until which it may.
   */
  listenersKey(group: string): string {
    return `${this.tag(group)}listeners`
  }

  /** The shard channel one subscriber's heartbeats in a group go round on. */
  heartbeatChannel(group: string, subscriber: string): string {
    return `${this.tag(group)}heartbeat:${subscriber}`
  }

  private groupOf(scope: string): string {
    const store = storeOfScope(scope)
    return store === undefined ? SHARED_GROUP : `stores-${store % STORE_SLOT_GROUPS}`
  }

  private tag(group: string): string {
    return `${this.prefix}{${group}}:`
  }
}
