// WebKitGTK's MiniBrowser through WebKitWebDriver and webdriverio (see browser.mjs for what
// an engine adapter provides). It needs an X display: run the bench under `xvfb-run -a`.
import { remote } from 'webdriverio'
import { startWebKitDriver, webkitCapabilities } from '../engines.mjs'

/**
 * WebDriver's default script timeout is 30 s; a full run's log fill may take longer. Ten
 * minutes: a call that hangs (a database delete blocked for good) ends the run, not never.
 */
const SCRIPT_TIMEOUT_MS = 10 * 60_000

/**
 * Headers for the page: cross-origin isolated, for a clock in 20 µs steps. Otherwise WebKit
 * gives performance.now() in 1 ms steps, too coarse for latencies of a few ms; no setting
 * reachable through WebDriver changes that. Everything the page loads (modules, workers)
 * comes from the same Vite server, so the isolation blocks nothing.
 */
export const pageHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export async function launch() {
  const driver = await startWebKitDriver()
  let browser, first
  try {
    browser = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      path: '/',
      capabilities: webkitCapabilities,
      logLevel: 'error',
      // A call's HTTP request lasts as long as its script (webdriverio gives up after 2
      // minutes), and is never sent again: a retried execute would run a case twice.
      connectionRetryTimeout: SCRIPT_TIMEOUT_MS,
      connectionRetryCount: 0,
    })
    await browser.setTimeout({ script: SCRIPT_TIMEOUT_MS })
    first = await browser.getWindowHandle()
  } catch (err) {
    await browser?.deleteSession().catch(() => {})
    driver.stop()
    throw err
  }

  // Classic WebDriver talks to one window at a time: every call that touches a window
  // switches to it first, and calls run one after another so no switch lands between
  // another call's switch and its script.
  let queue = Promise.resolve()
  const serial = (work) => {
    const run = queue.then(work)
    queue = run.catch(() => {})
    return run
  }
  let current = first
  let firstUsed = false
  const switchTo = async (handle) => {
    if (current === handle) return
    await browser.switchToWindow(handle)
    current = handle
  }
  const tab = (handle) => ({
    // Classic WebDriver awaits a returned promise, and throws when it rejects.
    evaluate: (fn, arg) =>
      serial(async () => {
        await switchTo(handle)
        try {
          return await browser.execute(fn, arg)
        } catch (err) {
          // webdriverio's error carries the whole HTTP request (the script, the agent) and
          // Node prints all of it, also as a cause; the page's message is what matters.
          // eslint-disable-next-line preserve-caught-error -- the cause is that noise
          throw new Error(String(err?.message ?? err).replace(/ when running "[^"]*" with method "[^"]*"$/, ''))
        }
      }),
    // Switching to a window makes it the active one; each is its own window, all visible.
    bringToFront: () =>
      serial(async () => {
        current = undefined
        await switchTo(handle)
      }),
    close: () =>
      serial(async () => {
        await switchTo(handle)
        const left = await browser.closeWindow()
        current = undefined
        if (left.length > 0) await switchTo(left.includes(first) ? first : left[0])
      }),
  })

  return {
    name: 'WebKitGTK MiniBrowser',
    version: browser.capabilities.browserVersion ?? 'unknown',
    mode: `X display ${process.env.DISPLAY ?? '(none)'}`,
    clockNote: 'page served cross-origin isolated, COOP + COEP; 1 ms steps otherwise',
    // MiniBrowser in automation mode (`--automation`, which WebKitWebDriver requires) gives
    // its views an ephemeral website data manager: no IndexedDB file is ever opened.
    storage: 'none: IndexedDB in memory (MiniBrowser under WebDriver is ephemeral), so strict commits cost no fsync',
    notes: ['tab B of the latency cases is a window of its own (WebDriver New Window)'],
    openTab: (url) =>
      serial(async () => {
        if (!firstUsed) {
          firstUsed = true
          await browser.url(url)
          return tab(first)
        }
        // A window of its own (WebDriver's New Window: no opener, as a tab the user opens),
        // so both are visible at once, as headless Chromium reports its tabs. Not
        // webdriverio's newWindow: it takes the last handle listed for the new one, and
        // WebKitWebDriver does not list them in the order they were made.
        const { handle } = await browser.createWindow('window')
        await browser.switchToWindow(handle)
        await browser.url(url)
        current = handle
        return tab(handle)
      }),
    close: async () => {
      try {
        await browser.deleteSession()
      } finally {
        driver.stop()
      }
    },
  }
}
