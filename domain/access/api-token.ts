import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const API_TOKEN_PREFIX = 'afk_'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** 43 base62 characters carry 256 bits (43 × log2 62 ≈ 256.03). */
const TOKEN_BODY_LENGTH = 43
/** Bytes at or above this would make `% 62` favour the first characters: they are drawn again. */
const UNBIASED_BYTE_LIMIT = 256 - (256 % BASE62.length)
const WELL_FORMED = /^afk_[0-9A-Za-z]{32,128}$/

/** A new token: the prefix, then 43 base62 characters drawn uniformly from the system CSPRNG. */
export function generateApiToken(): string {
  let body = ''
  while (body.length < TOKEN_BODY_LENGTH) {
    for (const byte of randomBytes(TOKEN_BODY_LENGTH)) {
      if (byte < UNBIASED_BYTE_LIMIT && body.length < TOKEN_BODY_LENGTH) body += BASE62[byte % BASE62.length]
    }
  }
  return `${API_TOKEN_PREFIX}${body}`
}

/** Whether text has a token's shape; anything else cannot be a key and needs no lookup. */
export function isWellFormedApiToken(text: string): boolean {
  return WELL_FORMED.test(text)
}

/**
 * SHA-256 of the token. A token holds 256 random bits, so nothing can be guessed from its hash and
 * no salt or slow hash is needed (those protect low-entropy passwords); a plain digest also makes
 * the hash a lookup key.
 */
export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

/** Compares two hashes in time independent of where they differ. */
export function sameTokenHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
