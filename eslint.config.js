// The linter lives in the tools/lint workspace with the TypeScript 6 its type-aware rules need
// (TypeScript 7, the compiler here, has no JS API); its imports resolve from there.
export { default } from './tools/lint/eslint.config.js'
