// Headless Firefox through puppeteer-core over WebDriver BiDi (see browser.mjs for what an
// engine adapter provides).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import puppeteer from 'puppeteer-core'
import { firefoxLaunchOptions, firefoxPath } from '../engines.mjs'
import { pageTab } from './page-tab.mjs'

/**
 * Firefox rounds performance.now() to 1 ms, with jitter, in a page that is not cross-origin
 * isolated: latencies of a few ms would come out in whole, even negative, ms. Full precision
 * changes only the clock the page reads, not how fast anything runs.
 */
const BENCH_PREFS = { 'privacy.reduceTimerPrecision': false }

export async function launch() {
  // No time limit on a call (puppeteer's default is 3 minutes), as with Playwright: a full
  // run's log fill or read may take that long in a slower engine.
  const browser = await puppeteer.launch(firefoxLaunchOptions(BENCH_PREFS, { protocolTimeout: 0 }))
  try {
    const version = await firefoxVersion(browser)
    // The blank tab Firefox starts with becomes the first bench tab; later ones open in
    // windows of their own: a tab behind another is hidden, and Firefox runs a hidden tab's
    // timers up to a second late. All in the default user context: the same origin storage
    // and BroadcastChannels.
    let blank = (await browser.pages())[0]
    return {
      name: 'Firefox',
      version,
      mode: 'headless',
      clockNote: 'privacy.reduceTimerPrecision off; 1 ms steps with jitter otherwise',
      notes: ['tab B of the latency cases is a window of its own (a hidden tab runs its timers up to 1 s late)'],
      async openTab(url) {
        const page = blank ?? (await browser.newPage({ type: 'window' }))
        blank = undefined
        return pageTab(page, url)
      },
      close: () => browser.close(),
    }
  } catch (err) {
    await browser.close()
    throw err
  }
}

/**
 * "153.8.0esr", as the binary names itself: BiDi's "firefox/153.8.0" drops the ESR suffix,
 * which says which release line the figures come from.
 */
async function firefoxVersion(browser) {
  try {
    const { stdout } = await promisify(execFile)(firefoxPath, ['--version'])
    const match = stdout.match(/\d+\.\S+/)
    if (match) return match[0]
  } catch {
    // fall back to what the browser says over BiDi
  }
  return (await browser.version()).replace(/^[^/]*\//, '')
}
