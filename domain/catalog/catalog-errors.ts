import { DomainError } from '../shared/domain-error.js'

export class CategoryNameTakenError extends DomainError {
  readonly code = 'conflict'

  constructor(name: string) {
    super(`A category named "${name}" exists already (names are unique ignoring case)`)
  }
}

export class CategoryInUseError extends DomainError {
  readonly code = 'conflict'

  constructor(categoryId: number) {
    super(`Category ${categoryId} is used by products (archived ones included) and cannot be deleted`)
  }
}

/** Named by index, as a bulk import must name each entry it refuses (`path` is a JSON pointer). */
export class UnknownCategoryError extends DomainError {
  readonly code = 'unknown-category'

  constructor(unknown: { path: string; categoryId: number }[]) {
    const ids = [...new Set(unknown.map((entry) => entry.categoryId))]
    super(`These categories do not exist: ${ids.join(', ')}`, {
      category_ids: ids,
      errors: unknown.map(({ path, categoryId }) => ({ path, message: `category ${categoryId} does not exist` })),
    })
  }
}
