import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import type { ManageCategories } from '../../../application/catalog/manage-categories.js'
import type { ManageProducts } from '../../../application/catalog/manage-products.js'
import type { ManageStores } from '../../../application/catalog/manage-stores.js'
import type { CategoryRecord, ProductFields, ProductRecord } from '../../../application/catalog/ports/catalog-records.js'
import { pageEnvelope, toPageRequest } from '../pagination.js'
import { describeValidationIssue, replyWithProblem } from '../problem-details.js'
import { problemResponses, StoreParams } from '../schemas/common.schemas.js'
import {
  BulkProductsBody,
  BulkProductsCreated,
  CategoryBody,
  CategoryPage,
  CategoryParams,
  CategoryView,
  ListQuery,
  ProductBody,
  ProductParams,
  ProductPatch,
  ProductView,
  StoreBody,
  StorePage,
  StorePatch,
  StoreView,
} from '../schemas/catalog.schemas.js'

export interface CatalogRoutesOptions {
  manageCategories: ManageCategories
  manageProducts: ManageProducts
  manageStores: ManageStores
}

const CATALOG_WRITE = { access: { role: 'catalog' as const } }

/** Every bad entry of a bulk import is reported, not only the first: a validator with allErrors. */
const validateBulkEntry = new Ajv({ allErrors: true, strict: false, coerceTypes: false }).compile<ProductBody>(ProductBody)

function toProductFields(body: Partial<ProductBody>): Partial<ProductFields> {
  return {
    ...(body.title === undefined ? {} : { title: body.title }),
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.price === undefined ? {} : { price: body.price }),
    ...(body.category_id === undefined ? {} : { categoryId: body.category_id }),
  }
}

const newProduct = (body: ProductBody): ProductFields => ({ ...(toProductFields(body) as ProductFields), description: body.description ?? null })

const toCategoryView = (category: CategoryRecord) => ({ id: category.id, name: category.name, product_count: category.productCount })

const toProductView = (product: ProductRecord) => ({
  id: product.id,
  title: product.title,
  description: product.description,
  price: product.price,
  category: product.category,
  created_at: product.createdAt.toISOString(),
  updated_at: product.updatedAt.toISOString(),
})

export const catalogRoutes: FastifyPluginAsyncTypebox<CatalogRoutesOptions> = async (app, { manageCategories, manageProducts, manageStores }) => {
  app.get(
    '/categories',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Categories by name A→Z, with their live product counts',
        querystring: ListQuery,
        response: { 200: CategoryPage, ...problemResponses(400) },
      },
    },
    async (request) => {
      const pageRequest = toPageRequest(request.query)
      return pageEnvelope(request, pageRequest, await manageCategories.list(pageRequest), toCategoryView)
    },
  )

  app.post(
    '/categories',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Create a category (names are trimmed, unique ignoring case)',
        body: CategoryBody,
        response: { 201: CategoryView, ...problemResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const category = await manageCategories.create(request.body.name)
      return reply.code(201).header('location', `/categories/${category.id}/`).send(toCategoryView(category))
    },
  )

  app.patch(
    '/categories/:category_id',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Rename a category; the search of all its products follows before this answers',
        params: CategoryParams,
        body: CategoryBody,
        response: { 200: CategoryView, ...problemResponses(400, 404, 409, 413, 415) },
      },
    },
    async (request) => toCategoryView(await manageCategories.rename(request.params.category_id, request.body.name)),
  )

  app.delete(
    '/categories/:category_id',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Delete a category no product uses (archived ones included); otherwise 409',
        params: CategoryParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await manageCategories.delete(request.params.category_id)
      return reply.code(204).send()
    },
  )

  app.post(
    '/products',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Create a product; search and autocomplete find it as soon as this answers',
        body: ProductBody,
        response: { 201: ProductView, ...problemResponses(400, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const product = await manageProducts.create(newProduct(request.body))
      return reply.code(201).header('location', `/products/${product.id}/`).send(toProductView(product))
    },
  )

  app.post(
    '/products/bulk',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Create up to 1,000 products, all or nothing; errors name each bad entry by its index',
        body: BulkProductsBody,
        response: { 201: BulkProductsCreated, ...problemResponses(400, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const entries = request.body.products
      const errors = entries.flatMap((entry, index) =>
        validateBulkEntry(entry)
          ? []
          : (validateBulkEntry.errors ?? []).map((issue) => ({ path: `/products/${index}${issue.instancePath}`, message: describeValidationIssue(issue) })),
      )
      if (errors.length > 0) {
        const first = errors[0]!
        return replyWithProblem(request, reply, 'validation-error', `body${first.path} ${first.message} (${errors.length} problem(s) in all)`, { errors })
      }
      const ids = await manageProducts.import((entries as ProductBody[]).map(newProduct))
      return reply.code(201).send({ ids })
    },
  )

  app.get(
    '/products/:product_id',
    {
      schema: {
        tags: ['catalog'],
        summary: 'One product (404 once archived)',
        params: ProductParams,
        response: { 200: ProductView, ...problemResponses(400, 404) },
      },
    },
    async (request) => toProductView(await manageProducts.get(request.params.product_id)),
  )

  app.patch(
    '/products/:product_id',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Change any of a product’s fields',
        params: ProductParams,
        body: ProductPatch,
        response: { 200: ProductView, ...problemResponses(400, 404, 413, 415, 422) },
      },
    },
    async (request) => toProductView(await manageProducts.update(request.params.product_id, toProductFields(request.body))),
  )

  app.delete(
    '/products/:product_id',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Archive a product: gone from search, autocomplete, listings, reads and new orders; old orders keep it',
        params: ProductParams,
        response: { 204: { type: 'null', description: 'Archived' }, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      await manageProducts.archive(request.params.product_id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/stores',
    { schema: { tags: ['catalog'], summary: 'Stores in id order', querystring: ListQuery, response: { 200: StorePage, ...problemResponses(400) } } },
    async (request) => {
      const pageRequest = toPageRequest(request.query)
      return pageEnvelope(request, pageRequest, await manageStores.list(pageRequest), (store) => store)
    },
  )

  app.post(
    '/stores',
    {
      config: CATALOG_WRITE,
      schema: { tags: ['catalog'], summary: 'Open a store', body: StoreBody, response: { 201: StoreView, ...problemResponses(400, 413, 415) } },
    },
    async (request, reply) => {
      const store = await manageStores.create(request.body)
      return reply.code(201).header('location', `/stores/${store.id}/`).send(store)
    },
  )

  app.patch(
    '/stores/:store_id',
    {
      config: CATALOG_WRITE,
      schema: {
        tags: ['catalog'],
        summary: 'Change a store’s name or location',
        params: StoreParams,
        body: StorePatch,
        response: { 200: StoreView, ...problemResponses(400, 404, 413, 415) },
      },
    },
    async (request) => manageStores.update(request.params.store_id, request.body),
  )
}
