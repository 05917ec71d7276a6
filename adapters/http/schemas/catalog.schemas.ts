import { Type, type Static } from '@sinclair/typebox'
import { Id, PageOf, PaginationQuery, Timestamp } from './common.schemas.js'

/** One line of text holding something besides spaces, and no control characters (stored trimmed). */
function Line(maxLength: number, examples: string[]) {
  return Type.String({ minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001F\\u007F]*[^\\s\\u0000-\\u001F\\u007F][^\\u0000-\\u001F\\u007F]*$', examples })
}

/** Money in: a decimal string, 0.00–9999999999.99, at most two decimals; a JSON number is refused. */
const Price = Type.String({ pattern: '^\\d{1,10}(\\.\\d{1,2})?$', examples: ['12.50'], description: 'A decimal string: never a JSON number' })
/** Money out: always two decimals. */
const PriceView = Type.String({ pattern: '^\\d+\\.\\d{2}$', examples: ['12.50'] })
const Description = Type.Union([Type.String({ maxLength: 5_000, pattern: '^[^\\u0000]*$' }), Type.Null()])

export const CategoryParams = Type.Object({ category_id: Id }, { additionalProperties: false })
export const ProductParams = Type.Object({ product_id: Id }, { additionalProperties: false })
export const ListQuery = Type.Object(PaginationQuery, { additionalProperties: false })

export const CategoryBody = Type.Object({ name: Line(100, ['Books']) }, { additionalProperties: false })
export const CategoryView = Type.Object({ id: Id, name: Type.String(), product_count: Type.Integer({ minimum: 0 }) }, { title: 'Category' })
export type CategoryView = Static<typeof CategoryView>
export const CategoryPage = PageOf(CategoryView, 'CategoryPage')

const productFields = {
  title: Line(200, ['Steel Lamp']),
  description: Type.Optional(Description),
  price: Price,
  category_id: Id,
}
export const ProductBody = Type.Object(productFields, { additionalProperties: false })
export type ProductBody = Static<typeof ProductBody>
export const ProductPatch = Type.Partial(ProductBody, { additionalProperties: false, minProperties: 1 })
export const BulkProductsBody = Type.Object(
  { products: Type.Array(Type.Unknown({ description: 'A product as in POST /products/' }), { minItems: 1, maxItems: 1_000 }) },
  { additionalProperties: false },
)
export const BulkProductsCreated = Type.Object({ ids: Type.Array(Id) })
export const ProductView = Type.Object(
  {
    id: Id,
    title: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    price: PriceView,
    category: Type.Object({ id: Id, name: Type.String() }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Product' },
)
export type ProductView = Static<typeof ProductView>

export const StoreBody = Type.Object({ name: Line(200, ['Baixa']), location: Line(300, ['Rua Augusta 1, Lisboa']) }, { additionalProperties: false })
export const StorePatch = Type.Partial(StoreBody, { additionalProperties: false, minProperties: 1 })
export const StoreView = Type.Object({ id: Id, name: Type.String(), location: Type.String() }, { title: 'Store' })
export type StoreView = Static<typeof StoreView>
export const StorePage = PageOf(StoreView, 'StorePage')
