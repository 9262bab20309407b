// In-browser tests (`*.browser.test.ts`) in three real engines, each from Debian's packages:
// - Chromium, headless, driven by Playwright;
// - Firefox ESR, headless, driven by puppeteer-core over WebDriver BiDi;
// - WebKitGTK's MiniBrowser, driven by WebKitWebDriver (needs an X display: run under
//   `xvfb-run -a`, as `pnpm test` does).
// BROOK_BROWSERS=chromium,firefox picks engines (default: all three); test/engines.mjs says
// where each binary is.
import { esbuildPlugin } from '@web/dev-server-esbuild'
import { playwrightLauncher } from '@web/test-runner-playwright'
import { chromeLauncher, puppeteerCore } from '@web/test-runner-chrome'
import { webdriverLauncher } from '@web/test-runner-webdriver'
import { countingReporter } from './scripts/wtr-counting-reporter.mjs'
import { defaultReporter } from '@web/test-runner'
import {
  chromiumLaunchOptions,
  firefoxLaunchOptions,
  selectedEngines,
  startWebKitDriver,
  webkitCapabilities,
} from './test/engines.mjs'

const launchers = {
  chromium: () =>
    playwrightLauncher({
      product: 'chromium',
      launchOptions: chromiumLaunchOptions(),
    }),
  firefox: () =>
    chromeLauncher({
      // A puppeteer passed in makes the launcher honour `browser: 'firefox'`.
      puppeteer: puppeteerCore,
      async createPage({ context }) {
        const page = await context.newPage()
        // send-keys passes the key name 'Space', which puppeteer's BiDi keyboard does not
        // know (it knows ' ').
        const press = page.keyboard.press.bind(page.keyboard)
        page.keyboard.press = (key, options) => press(key === 'Space' ? ' ' : key, options)
        return page
      },
      launchOptions: firefoxLaunchOptions(),
    }),
  webkit: async () => {
    const { port } = await startWebKitDriver()
    return webdriverLauncher({
      hostname: '127.0.0.1',
      port,
      path: '/',
      logLevel: 'error',
      capabilities: webkitCapabilities,
    })
  },
}

export default {
  files: ['packages/*/src/**/*.browser.test.ts'],
  nodeResolve: { exportConditions: ['@brook/source', 'browser'] },
  concurrency: 1,
  testFramework: { config: { timeout: 60_000 } },
  testsFinishTimeout: 300_000,
  browsers: await Promise.all(selectedEngines().map((engine) => launchers[engine]())),
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
