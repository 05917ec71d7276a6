import { resolve } from 'node:path'
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * Type-aware rules over every TypeScript file of the project, read with the root tsconfig.json.
 * Formatting is Prettier's business, so no rule here is about layout.
 */
export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'tools/lint/node_modules/'] },
  { files: ['**/*.js'], ...js.configs.recommended },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: resolve(import.meta.dirname, '../..') } },
    rules: {
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Fastify plugins must be async functions, and ports return promises: an async body without
      // await is how this code base meets both contracts, so this rule would only ask for noise.
      '@typescript-eslint/require-await': 'off',
    },
  },
)
