/** Unicode general categories; Cs (lone surrogates) is left out: no UTF-8 text can hold one. */
const CATEGORIES = [
  'Lu',
  'Ll',
  'Lt',
  'Lm',
  'Lo',
  'Mn',
  'Mc',
  'Me',
  'Nd',
  'Nl',
  'No',
  'Pc',
  'Pd',
  'Ps',
  'Pe',
  'Pi',
  'Pf',
  'Po',
  'Sm',
  'Sc',
  'Sk',
  'So',
  'Zs',
  'Zl',
  'Zp',
  'Cc',
  'Cf',
  'Co',
  'Cn',
]

/**
 * Representatives of every general category: the first and last code point of each, and others
 * evenly spread between them (`perCategory` in all), plus every combining diacritical mark
 * (U+0300–U+036F), the marks unaccent deletes.
 */
export function codePointRepresentatives(perCategory = 8): string[] {
  const members = new Map<string, number[]>(CATEGORIES.map((category) => [category, []]))
  const patterns = CATEGORIES.map((category) => [category, new RegExp(`^\\p{gc=${category}}$`, 'u')] as const)
  // Planes 4 to 13 are all unassigned, and 16 private like 15: the planes scanned hold every category.
  for (let code = 0; code <= 0xfffff; code = code === 0x3ffff ? 0xe0000 : code + 1) {
    if (code >= 0xd800 && code <= 0xdfff) continue
    const character = String.fromCodePoint(code)
    const match = patterns.find(([, pattern]) => pattern.test(character))
    if (match) members.get(match[0])?.push(code)
  }
  const chosen = new Set<number>()
  for (const codes of members.values()) {
    for (let step = 0; step < perCategory && codes.length > 0; step++) {
      chosen.add(codes[Math.round((step * (codes.length - 1)) / Math.max(1, perCategory - 1))] as number)
    }
  }
  for (let code = 0x300; code <= 0x36f; code++) chosen.add(code)
  return [...chosen].map((code) => String.fromCodePoint(code))
}
