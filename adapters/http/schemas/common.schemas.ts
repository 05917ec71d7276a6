import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { OrderId, ProductId, StoreId } from '../../../domain/shared/ids.js'

/** Largest id a JSON number carries exactly; Postgres bigint ids stay far below it. */
const MAX_ID = Number.MAX_SAFE_INTEGER

export const Id = Type.Integer({ minimum: 1, maximum: MAX_ID })

/**
 * Ids in requests, validated as `Id` and typed as the entity's branded id: the edge brands an id
 * once, here, so routes hand use cases a StoreId or a ProductId without a cast.
 */
export const StoreIdParam = Type.Unsafe<StoreId>(Id)
export const ProductIdParam = Type.Unsafe<ProductId>(Id)
export const OrderIdParam = Type.Unsafe<OrderId>(Id)

/** Typed text (a query, a name): no control characters, which no query needs and Postgres refuses (NUL). */
export const WITHOUT_CONTROL_CHARACTERS = '^[^\\u0000-\\u001F\\u007F]*$'

export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-21T19:18:00.000Z'] })

export const Money = Type.String({ pattern: '^\\d+\\.\\d{2}$', examples: ['55000.00'] })

export const StoreParams = Type.Object({ store_id: StoreIdParam }, { additionalProperties: false })

export const PaginationQuery = {
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
}

/** One page of `item`s; `title` names it in the OpenAPI document. */
export function PageOf<T extends TSchema>(item: T, title: string) {
  return Type.Object(
    {
      count: Type.Integer({ minimum: 0 }),
      page: Type.Integer({ minimum: 1 }),
      page_size: Type.Integer({ minimum: 1 }),
      total_pages: Type.Integer({ minimum: 0 }),
      next: Type.Union([Type.String(), Type.Null()]),
      previous: Type.Union([Type.String(), Type.Null()]),
      results: Type.Array(item),
    },
    { title },
  )
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, title: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' },
)

/** Documents the problem responses a route can give, for the OpenAPI document. */
export function problemResponses(...statuses: number[]): Record<number, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema]))
}

/** A query flag: `true|false|1|0`, as every flag of the API accepts. */
export const Flag = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')])

export function isSet(flag: Static<typeof Flag>): boolean {
  return flag === 'true' || flag === '1'
}
