// Headless Chromium through playwright-core: the benchmark's default engine (see browser.mjs
// for what an engine adapter provides).
import { chromium } from 'playwright-core'
import { chromiumLaunchOptions } from '../engines.mjs'
import { pageTab } from './page-tab.mjs'

export async function launch() {
  const browser = await chromium.launch(chromiumLaunchOptions())
  try {
    // One context: every tab shares its origin's IndexedDB and BroadcastChannels.
    const context = await browser.newContext()
    return {
      name: 'Chromium',
      version: browser.version(),
      mode: 'headless',
      openTab: async (url) => pageTab(await context.newPage(), url),
      close: () => browser.close(),
    }
  } catch (err) {
    await browser.close()
    throw err
  }
}
