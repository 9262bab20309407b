// In-browser tests (`*.browser.test.ts`) in real headless Chromium, driven by Playwright.
// Set CHROMIUM_PATH to use another Chromium build than Debian's /usr/bin/chromium.
import { esbuildPlugin } from '@web/dev-server-esbuild'
import { playwrightLauncher } from '@web/test-runner-playwright'
import { countingReporter } from './scripts/wtr-counting-reporter.mjs'
import { defaultReporter } from '@web/test-runner'
import { chromiumArgs, chromiumPath } from './test/chromium.mjs'

export default {
  files: ['packages/*/src/**/*.browser.test.ts'],
  nodeResolve: { exportConditions: ['@brook/source', 'browser'] },
  concurrency: 1,
  testFramework: { config: { timeout: 60_000 } },
  testsFinishTimeout: 300_000,
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    }),
  ],
  plugins: [
    // Dexie's `import` entry default-imports a UMD file, which an unbundled browser cannot
    // load; its ESM build is the same code. (Bundlers such as Vite handle the UMD file.)
    {
      name: 'dexie-esm',
      resolveImport({ source }) {
        if (source === 'dexie') return '/__dexie/dexie.mjs'
      },
      serve(context) {
        if (context.path === '/__dexie/dexie.mjs') return { body: dexieSource(), type: 'js' }
      },
    },
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.base.json' }),
  ],
  reporters: [defaultReporter(), countingReporter('wtr')],
}

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
function dexieSource() {
  const require = createRequire(new URL('./packages/idb/package.json', import.meta.url))
  return readFileSync(require.resolve('dexie/dist/dexie.mjs'), 'utf8')
}
