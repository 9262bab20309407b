// Several windows of one WebKitGTK MiniBrowser, through WebKitWebDriver and webdriverio: the
// e2e tests and the benchmark drive WebKit through this. Windows of one session share one
// origin's storage, as tabs do. An automation session keeps that storage in memory, so each
// session starts empty (and strict commits cost no fsync).
import { remote } from 'webdriverio'
import { startWebKitDriver, webkitCapabilities } from './engines.mjs'

/**
 * @typedef {object} WebKitWindow
 * @property {<R>(fn: (arg: any) => R | Promise<R>, arg?: unknown) => Promise<R>} evaluate
 *   runs `fn(arg)` in the page (both serialisable); resolves with its awaited result, as JSON
 * @property {(url: string) => Promise<void>} goto
 * @property {() => Promise<void>} back
 * @property {() => Promise<void>} bringToFront makes this the window WebDriver talks to
 * @property {() => Promise<void>} close
 */

/**
 * Starts WebKitWebDriver and a session. WebDriver classic talks to one window at a time:
 * every call switches to its window first, and calls run one after another, so no switch
 * lands between another call's switch and its script. The session's first window stays
 * open and unused (closing the last window would end the session).
 *
 * @param {{ scriptTimeoutMs: number }} options the longest one script may run
 * @returns {Promise<{ version: string, openWindow: (url: string) => Promise<WebKitWindow>, close: () => Promise<void> }>}
 * @example
 * ```js
 * const session = await openWebKitSession({ scriptTimeoutMs: 120_000 })
 * const tab = await session.openWindow(url)
 * console.log(await tab.evaluate(() => document.title))
 * ```
 */
export async function openWebKitSession({ scriptTimeoutMs }) {
  const driver = await startWebKitDriver()
  let browser
  try {
    browser = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      path: '/',
      capabilities: webkitCapabilities,
      logLevel: 'error',
      // A call's HTTP request lasts as long as its script, and is never sent again: a
      // retried execute would run the script twice.
      connectionRetryTimeout: scriptTimeoutMs + 10_000,
      connectionRetryCount: 0,
    })
    await browser.setTimeout({ script: scriptTimeoutMs })
  } catch (err) {
    await browser?.deleteSession().catch(() => {})
    driver.stop()
    throw err
  }
  const first = await browser.getWindowHandle()

  let queue = Promise.resolve()
  const serially = (work) => {
    const run = queue.then(work)
    queue = run.catch(() => {})
    return run
  }
  let current = first
  const switchTo = async (handle) => {
    if (current === handle) return
    await browser.switchToWindow(handle)
    current = handle
  }

  /** @returns {WebKitWindow} */
  const window = (handle) => {
    const inWindow = (work) =>
      serially(async () => {
        await switchTo(handle)
        return work()
      })
    return {
      evaluate: (fn, arg) =>
        inWindow(async () => {
          try {
            return await browser.execute(fn, arg)
          } catch (err) {
            // webdriverio's message carries the whole request (the script, the agent); the
            // page's own message is what matters.
            // eslint-disable-next-line preserve-caught-error -- the cause is that noise
            throw new Error(String(err?.message ?? err).replace(/ when running "[^"]*" with method "[^"]*"$/, ''))
          }
        }),
      goto: (url) => inWindow(() => browser.url(url)).then(() => undefined),
      back: () => inWindow(() => browser.back()),
      bringToFront: () =>
        serially(async () => {
          current = undefined // switch even if current: that makes it the active window
          await switchTo(handle)
        }),
      close: () =>
        inWindow(async () => {
          await browser.closeWindow()
          current = undefined
          await switchTo(first)
        }),
    }
  }

  return {
    version: browser.capabilities.browserVersion ?? 'unknown',
    // WebDriver's New Window, with no opener, as a tab the user opens; then a navigation.
    // (webdriverio's newWindow(url) takes the last handle listed for the new one, and
    // WebKitWebDriver does not list them in the order they were made.)
    openWindow: async (url) => {
      const { handle } = await serially(() => browser.createWindow('window'))
      const opened = window(handle)
      await opened.goto(url)
      return opened
    },
    close: async () => {
      try {
        await browser.deleteSession()
      } finally {
        driver.stop()
      }
    },
  }
}
