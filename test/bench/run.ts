import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** What every benchmark module gets: the command-line arguments meant for the benchmarks. */
export interface BenchContext {
  args: string[]
}

export type Bench = (context: BenchContext) => Promise<void>

/**
 * `npm run bench [-- <name>…] [-- --option value…]`: runs every *.bench.js beside this file, or
 * only those whose file name contains one of the plain names given, one after another. Arguments
 * starting with `--` (and the value after each) are passed to every benchmark.
 */
const directory = fileURLToPath(new URL('.', import.meta.url))
const argv = process.argv.slice(2)
const names: string[] = []
const args: string[] = []
for (let index = 0; index < argv.length; index++) {
  const arg = argv[index] as string
  if (!arg.startsWith('--')) names.push(arg)
  else {
    args.push(arg)
    const value = argv[index + 1]
    if (value !== undefined && !value.startsWith('--')) args.push(argv[++index] as string)
  }
}

const files = (await readdir(directory))
  .filter((file) => file.endsWith('.bench.js') && (names.length === 0 || names.some((name) => file === `${name}.bench.js`)))
  .sort()
if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${names.join(', ')}\n`)
  process.exit(2)
}
for (const file of files) {
  process.stdout.write(`\n# ${file.replace(/\.bench\.js$/, '')}\n\n`)
  const module = (await import(pathToFileURL(join(directory, file)).href)) as { default: Bench }
  await module.default({ args })
}
