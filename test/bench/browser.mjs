// Serves the benchmark page with Vite's dev server and opens it in a browser engine.
//
// Each engine has an adapter (engine-<name>.mjs), so run.mjs is written once. An adapter
// exports `launch()`, resolving to `{ name, version, mode, openTab(url), close() }` and, for
// the report, what differs from a default setup: `clockNote` (how the page's clock was made
// fine enough), `storage` (where IndexedDB lives, when not in the temp dir's profile) and
// `notes`. It may export `pageHeaders` for the server. A tab is
// `{ evaluate(fn, arg), bringToFront(), close() }`; `evaluate` runs `fn(arg)` in the page
// (both serialisable) and resolves with what it returned, awaited.
import { createServer, defaultClientConditions } from 'vite'

// Imported on demand: a Chromium run need not load webdriverio or puppeteer.
const ADAPTERS = {
  chromium: () => import('./engine-chromium.mjs'),
  firefox: () => import('./engine-firefox.mjs'),
  webkit: () => import('./engine-webkit.mjs'),
}

/** How long a fresh tab may take until `window.brookBench` is there (Vite transforms on first load). */
const READY_TIMEOUT_MS = 60_000

/**
 * Starts the page in `engine` and returns `{ page, openTab, browser, close }`. `page` has
 * `window.brookBench` ready; `openTab()` opens one more tab of it in the same browser
 * (same origin, so the same IndexedDB and BroadcastChannels); `browser` is
 * `{ engine, name, version, mode, ... }` for the report.
 */
export async function openBenchPage(engine = 'chromium') {
  const adapter = await ADAPTERS[engine]()
  const server = await createServer({
    configFile: false,
    root: import.meta.dirname,
    logLevel: 'warn',
    // Workspace packages resolve to their TypeScript sources: the bench measures the code as
    // it is now, with no build step in between.
    resolve: { conditions: ['@brook/source', ...defaultClientConditions] },
    // Port 0: any free port, so a running demo or a second bench does not collide.
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false },
    plugins: adapter.pageHeaders === undefined ? [] : [headersPlugin(adapter.pageHeaders)],
  })
  await server.listen()
  const address = server.httpServer?.address()
  if (address === null || typeof address !== 'object') throw new Error('Vite did not start listening')

  let session
  try {
    session = await adapter.launch()
  } catch (err) {
    await server.close()
    throw err
  }
  const close = async () => {
    await session.close()
    await server.close()
  }
  try {
    const openTab = async () => {
      const tab = await session.openTab(`http://127.0.0.1:${address.port}/`)
      await waitForBench(tab)
      return tab
    }
    const page = await openTab()
    const { name, version, mode, clockNote, storage, notes } = session
    return { page, openTab, browser: { engine, name, version, mode, clockNote, storage, notes }, close }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * Sets `headers` on every response. Not Vite's `server.headers`: its 304 answers (a module
 * revalidated by ETag) go out without them, and WebKit then refuses to start a second
 * worker from the same module in a cross-origin isolated page.
 */
function headersPlugin(headers) {
  return {
    name: 'brook-bench-page-headers',
    configureServer(server) {
      server.middlewares.use((_req, res, next) => {
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
        next()
      })
    },
  }
}

/** Polls the tab until the page set `window.brookBench`; a call that lands mid-navigation may throw. */
async function waitForBench(tab) {
  const end = performance.now() + READY_TIMEOUT_MS
  let last
  while (performance.now() < end) {
    try {
      if (await tab.evaluate(() => window.brookBench !== undefined)) return
    } catch (err) {
      last = err
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the bench page did not start within ${READY_TIMEOUT_MS} ms${last ? `: ${last.message}` : ''}`)
}
