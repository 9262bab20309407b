// Download cost: gzip sizes of each package's build, and of a minified bundle of the client
// packages with all their dependencies, as an app would ship them.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'

const GZIP = { level: 9 }
const gzipSize = (data) => gzipSync(data, GZIP).length

/** What an app imports: everything, or just enough to open a store and append. */
const BUNDLES = [
  {
    label: '@brook/core + @brook/idb, every export',
    code: "export * from '@brook/core'\nexport * from '@brook/idb'\n",
  },
  { label: 'openEventStore only (tree-shaken)', code: "export { openEventStore } from '@brook/idb'\n" },
]

/**
 * Builds the packages (`pnpm -r --filter './packages/*' build`) and measures them. A failed
 * build (the packages may be mid-edit) is reported, not thrown: sizes are not worth losing
 * the throughput figures over.
 */
export async function measureSizes(repoRoot, benchDir) {
  try {
    // Asynchronous, so a quick run can measure sizes while the browser cases run.
    await promisify(execFile)('pnpm', ['-r', '--filter', './packages/*', 'build'], { cwd: repoRoot })
  } catch (err) {
    const { stdout = '', stderr = '', message } = err
    return { error: `package build failed: ${message}\n${stdout}${stderr}`.trim() }
  }
  const packagesDir = join(repoRoot, 'packages')
  const packages = readdirSync(packagesDir)
    .filter((name) => existsSync(join(packagesDir, name, 'dist')))
    .map((name) => ({ name: packageName(join(packagesDir, name)), ...distSizes(join(packagesDir, name, 'dist')) }))
  const bundles = []
  for (const bundle of BUNDLES) bundles.push({ label: bundle.label, ...(await bundleSize(benchDir, bundle.code)) })
  return { packages, bundles }
}

function packageName(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name
}

/** JavaScript (what reaches a browser) apart from declarations and source maps. */
function distSizes(dist) {
  const files = listFiles(dist)
  const js = files.filter((f) => f.endsWith('.js'))
  const sum = (list, measure) => list.reduce((total, f) => total + measure(readFileSync(f)), 0)
  return {
    jsFiles: js.map((f) => relative(dist, f)),
    jsBytes: sum(js, (b) => b.length),
    // Per file, as a server sends them; a bundle (below) compresses better.
    jsGzip: sum(js, gzipSize),
    allBytes: sum(files, (b) => b.length),
    allGzip: sum(files, gzipSize),
  }
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? listFiles(path) : [path]
  })
}

/**
 * Bundles `code` with Vite's library mode (rolldown), in memory. Packages resolve through
 * their default export condition, i.e. the dist just built, as they would from npm.
 */
async function bundleSize(benchDir, code) {
  // Library mode resolves its entry as a file under `root`; this one exists only in memory.
  const id = join(benchDir, '__size-entry.js')
  const result = await build({
    configFile: false,
    root: benchDir,
    logLevel: 'silent',
    plugins: [
      {
        name: 'brook-size-entry',
        enforce: 'pre',
        resolveId: (source) => (source === id ? id : null),
        load: (i) => (i === id ? code : null),
      },
    ],
    build: {
      write: false,
      target: 'es2022',
      minify: 'oxc',
      reportCompressedSize: false,
      copyPublicDir: false,
      lib: { entry: id, formats: ['es'], fileName: 'brook' },
      // Library mode keeps whitespace in ES output (for the consumer's bundler to minify);
      // minify fully to see what finally reaches a browser.
      rolldownOptions: { output: { minify: true } },
    },
  })
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output)
  const chunks = outputs.filter((o) => o.type === 'chunk')
  const modules = new Set(
    chunks
      .flatMap((c) => Object.keys(c.modules))
      .map(dependencyOf)
      .filter(Boolean),
  )
  return {
    bytes: chunks.reduce((total, c) => total + Buffer.byteLength(c.code), 0),
    gzip: gzipSize(chunks.map((c) => c.code).join('\n')),
    includes: [...modules].sort(),
  }
}

/** `dexie` from `.../node_modules/.pnpm/dexie@4.4.7/node_modules/dexie/dist/x.js`, `@brook/idb` from packages/idb. */
function dependencyOf(moduleId) {
  const path = moduleId.replaceAll('\\', '/')
  const npm = path.match(/.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)
  if (npm) return npm[1]
  const workspace = path.match(/\/packages\/([^/]+)\//)
  return workspace ? `@brook/${workspace[1]}` : undefined
}
