import { Faker, en } from '@faker-js/faker'

export interface ProductRows {
  titles: string[]
  descriptions: (string | null)[]
  prices: string[]
  /** 0-based positions in the category list. */
  categoryIndexes: number[]
  createdAt: Date[]
}

export interface StoreRows {
  names: string[]
  locations: string[]
}

export interface StockRows {
  /** 0-based positions in the product list, distinct within one store. */
  productIndexes: number[]
  quantities: number[]
}

const CATEGORY_NAMES = [
  'Electronics',
  'Books',
  'Home & Kitchen',
  'Toys',
  'Garden',
  'Sports',
  'Beauty',
  'Grocery',
  'Clothing',
  'Footwear',
  'Automotive',
  'Health',
  'Office',
  'Pet Supplies',
  'Music',
  'Movies',
  'Jewelry',
  'Baby',
  'Tools',
  'Furniture',
  'Outdoors',
  'Crafts',
  'Stationery',
  'Lighting',
  'Appliances',
]

// A few accented words so that accent-insensitive search has something to find in seeded data.
const ACCENTED_WORDS = ['Café', 'Crème', 'Jalapeño', 'Piñata', 'Über', 'Fiancé', 'Smörgås', 'Açaí', 'Déjà', 'Naïve']

/** Dates are drawn before a fixed instant so that the same seed yields the same rows on any day. */
const REFERENCE_DATE = new Date('2026-01-01T00:00:00.000Z')

/**
 * Faker's own templates (a product name is "{{commerce.productAdjective}} {{commerce.productMaterial}}
 * {{commerce.product}}"), parsed once: faker.helpers.fake parses the template on every call, which
 * at a million products is most of a seed's time (5 s of names, 8 s of descriptions). Each
 * placeholder draws exactly as helpers.fake draws it (the template, then for a placeholder that
 * also names a definition list, one unused pick from that list, then the method), so a seed gives
 * the same rows as before.
 */
function compileTemplates(faker: Faker, templates: string | readonly string[]): () => string {
  const modules = faker as unknown as Record<string, Record<string, unknown>>
  const definitions = faker.rawDefinitions as unknown as Record<string, Record<string, unknown> | undefined>
  const compiled = (typeof templates === 'string' ? [templates] : templates).map((template): (() => string)[] =>
    // A placeholder with arguments ({{number.int({"max": 100})}}) is left to helpers.fake whole.
    template.includes('(')
      ? [() => faker.helpers.fake(template)]
      : template.split(/\{\{([^}]+)\}\}/).map((part, index): (() => string) => {
          if (index % 2 === 0) return () => part
          const [module, method] = part.split('.') as [string, string]
          const generate = modules[module]?.[method]
          const list = definitions[module]?.[method]
          if (typeof generate !== 'function') return () => faker.helpers.fake(`{{${part}}}`)
          return () => {
            if (Array.isArray(list)) faker.helpers.arrayElement(list)
            return String(generate.call(modules[module]))
          }
        }),
  )
  return () => {
    const parts = faker.helpers.arrayElement(compiled)
    const text = parts.map((part) => part()).join('')
    return text.includes('{{') ? faker.helpers.fake(text) : text
  }
}

/**
 * Realistic catalog data from one seeded Faker, drawn in a fixed order: the same seed and the
 * same calls give identical data on every run.
 */
export class FakerSeedSource {
  private readonly faker: Faker
  private readonly productName: () => string
  private readonly productDescription: () => string

  constructor(readonly seed: number) {
    this.faker = new Faker({ locale: [en], seed })
    this.faker.setDefaultRefDate(REFERENCE_DATE)
    this.productName = compileTemplates(this.faker, this.faker.definitions.commerce.product_name.pattern)
    this.productDescription = compileTemplates(this.faker, this.faker.definitions.commerce.product_description)
  }

  categoryNames(count: number): string[] {
    return Array.from({ length: count }, (_, index) => {
      const base = CATEGORY_NAMES[index % CATEGORY_NAMES.length] as string
      const round = Math.floor(index / CATEGORY_NAMES.length)
      return round === 0 ? base : `${base} ${round + 1}`
    })
  }

  products(count: number, categoryCount: number): ProductRows {
    const rows: ProductRows = { titles: [], descriptions: [], prices: [], categoryIndexes: [], createdAt: [] }
    const { faker } = this
    for (let index = 0; index < count; index++) {
      const name = this.productName()
      rows.titles.push(faker.number.int(99) < 3 ? `${faker.helpers.arrayElement(ACCENTED_WORDS)} ${name}` : name)
      rows.descriptions.push(faker.number.int(99) < 10 ? null : this.productDescription())
      rows.prices.push(faker.commerce.price({ min: 1, max: 2_000, dec: 2 }))
      rows.categoryIndexes.push(faker.number.int(categoryCount - 1))
      rows.createdAt.push(faker.date.past({ years: 2 }))
    }
    return rows
  }

  stores(count: number): StoreRows {
    const rows: StoreRows = { names: [], locations: [] }
    for (let index = 0; index < count; index++) {
      const city = this.faker.location.city()
      rows.names.push(`${city} ${this.faker.helpers.arrayElement(['Market', 'Store', 'Outlet', 'Superstore', 'Express'])} #${index + 1}`)
      rows.locations.push(`${this.faker.location.streetAddress()}, ${city}, ${this.faker.location.state({ abbreviated: true })}`)
    }
    return rows
  }

  /** Between `minimum` and a quarter more distinct products (all of them when the catalog is smaller). */
  stock(productCount: number, minimum: number): StockRows {
    const wanted = Math.min(productCount, this.faker.number.int({ min: minimum, max: Math.ceil(minimum * 1.25) }))
    const chosen = new Set<number>()
    if (wanted === productCount) {
      for (let index = 0; index < productCount; index++) chosen.add(index)
    } else {
      while (chosen.size < wanted) chosen.add(this.faker.number.int(productCount - 1))
    }
    const productIndexes = [...chosen].sort((a, b) => a - b)
    const quantities = productIndexes.map(() => {
      const roll = this.faker.number.int(99)
      if (roll < 8) return 0
      if (roll < 18) return this.faker.number.int({ min: 1, max: 4 })
      return this.faker.number.int({ min: 5, max: 200 })
    })
    return { productIndexes, quantities }
  }
}
