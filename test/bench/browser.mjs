// Serves the benchmark page with Vite's dev server and opens it in headless Chromium.
import { chromium } from 'playwright-core'
import { createServer, defaultClientConditions } from 'vite'
import { chromiumArgs, chromiumPath } from '../chromium.mjs'

/**
 * Starts the page and returns `{ page, openTab, chromiumVersion, close }`. `page` has
 * `window.brookBench` ready; `openTab()` opens one more tab of it in the same browser
 * context (same origin, so the same IndexedDB and BroadcastChannels).
 */
export async function openBenchPage() {
  const server = await createServer({
    configFile: false,
    root: import.meta.dirname,
    logLevel: 'warn',
    // Workspace packages resolve to their TypeScript sources: the bench measures the code as
    // it is now, with no build step in between.
    resolve: { conditions: ['@brook/source', ...defaultClientConditions] },
    // Port 0: any free port, so a running demo or a second bench does not collide.
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false },
  })
  await server.listen()
  const address = server.httpServer?.address()
  if (address === null || typeof address !== 'object') throw new Error('Vite did not start listening')

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
  })
  const close = async () => {
    await browser.close()
    await server.close()
  }
  try {
    const context = await browser.newContext()
    const openTab = async () => {
      const page = await context.newPage()
      page.on('pageerror', (err) => console.error(`[page error] ${err.message}`))
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') console.error(`[page ${msg.type()}] ${msg.text()}`)
      })
      // A background tab is throttled; the bench must run in the foreground one.
      await page.bringToFront()
      await page.goto(`http://127.0.0.1:${address.port}/`)
      await page.waitForFunction(() => window.brookBench !== undefined, undefined, { timeout: 60_000 })
      return page
    }
    const page = await openTab()
    return { page, openTab, chromiumVersion: browser.version(), close }
  } catch (err) {
    await close()
    throw err
  }
}
