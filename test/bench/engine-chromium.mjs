// Headless Chromium through playwright-core: the benchmark's default engine (see browser.mjs
// for what an engine adapter provides).
import { chromium } from 'playwright-core'
import { chromiumArgs, chromiumPath } from '../engines.mjs'

export async function launch() {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
  try {
    // One context: every tab shares its origin's IndexedDB and BroadcastChannels.
    const context = await browser.newContext()
    return {
      name: 'Chromium',
      version: browser.version(),
      mode: 'headless',
      async openTab(url) {
        const page = await context.newPage()
        page.on('pageerror', (err) => console.error(`[page error] ${err.message}`))
        page.on('console', (msg) => {
          if (msg.type() === 'error' || msg.type() === 'warning') console.error(`[page ${msg.type()}] ${msg.text()}`)
        })
        // A background tab is throttled; the bench must run in the foreground one.
        await page.bringToFront()
        await page.goto(url)
        return {
          evaluate: (fn, arg) => page.evaluate(fn, arg),
          bringToFront: () => page.bringToFront(),
          close: () => page.close(),
        }
      },
      close: () => browser.close(),
    }
  } catch (err) {
    await browser.close()
    throw err
  }
}
