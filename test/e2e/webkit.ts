import { remote } from 'webdriverio'
import { startWebKitDriver, webkitCapabilities } from '../engines.mjs'
import type { Tab } from './tab.ts'

/** The WebDriver commands these tests use, as webdriverio names them. */
interface Browser {
  setTimeout(timeouts: { script: number }): Promise<void>
  getWindowHandles(): Promise<string[]>
  createWindow(type: 'tab' | 'window'): Promise<{ handle: string }>
  switchToWindow(handle: string): Promise<void>
  execute<R>(fn: (...args: unknown[]) => R, ...args: unknown[]): Promise<R>
  url(url: string): Promise<unknown>
  back(): Promise<void>
  closeWindow(): Promise<unknown>
  deleteSession(): Promise<void>
}

const DEFAULT_TIMEOUT = 30_000
// WebDriver's own limit on one script; the longest in-page waits (waitUntil) stay below it.
const SCRIPT_TIMEOUT = 120_000

/**
 * WebKitGTK's MiniBrowser through WebKitWebDriver (WebDriver classic), with a fresh
 * profile: an automation session keeps its storage in memory, so each session starts empty
 * and every window of it shares one origin's storage, like tabs.
 *
 * WebDriver classic drives one window at a time: each call switches to its tab's window
 * first, and calls are queued so two tabs never interleave a switch and a script. Waits
 * poll one script at a time, so waits on several tabs (a race) take turns instead of one
 * holding the driver. No init scripts, no console, no crash or freeze.
 *
 * @example
 * ```ts
 * const { newTab, close } = await launchWebKit()
 * const tab = await newTab(fixture.url)
 * ```
 */
export async function launchWebKit(): Promise<{ newTab: (url: string) => Promise<Tab>; close: () => Promise<void> }> {
  const driver = await startWebKitDriver()
  let browser: Browser
  try {
    browser = (await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      path: '/',
      logLevel: 'error',
      capabilities: webkitCapabilities,
    })) as Browser
    await browser.setTimeout({ script: SCRIPT_TIMEOUT })
  } catch (err) {
    driver.stop()
    throw err
  }
  // The session's first window stays open and unused: closing a session's last window ends it.
  const [first] = await browser.getWindowHandles()
  if (first === undefined) throw new Error('the WebKit session has no window')
  let queue: Promise<unknown> = Promise.resolve()
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work)
    queue = next.catch(() => {})
    return next
  }
  return {
    async newTab(url) {
      // WebDriver's New Window, then a navigation in it (webdriverio's newWindow(url) left
      // MiniBrowser's new window on about:blank).
      const { handle } = await serially(() => browser.createWindow('tab'))
      const tab = webkitTab(browser, handle, first, serially)
      await tab.goto(url)
      return tab
    },
    async close() {
      await browser.deleteSession().catch(() => {})
      driver.stop()
    },
  }
}

function webkitTab(
  browser: Browser,
  handle: string,
  first: string,
  serially: <T>(work: () => Promise<T>) => Promise<T>,
): Tab {
  const inWindow = <T>(work: () => Promise<T>) =>
    serially(async () => {
      await browser.switchToWindow(handle)
      return work()
    })
  // WebDriver's execute awaits a returned promise; the result comes back as JSON.
  const evaluate = <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A) =>
    inWindow<R>(() => browser.execute(fn as (...args: unknown[]) => R, arg))
  const poll = async (check: () => Promise<unknown>, what: string, timeout: number, polling: number) => {
    const end = Date.now() + timeout
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, polling))
    }
  }
  return {
    evaluate,
    async waitForFunction(fn, arg, options = {}) {
      await poll(() => evaluate(fn, arg), fn.toString(), options.timeout ?? DEFAULT_TIMEOUT, options.polling ?? 50)
    },
    async waitForSelector(selector) {
      const found = (s: string) => document.querySelector(s) !== null
      await poll(() => evaluate(found, selector), selector, DEFAULT_TIMEOUT, 50)
    },
    goto: (url) => inWindow(() => browser.url(url)).then(() => undefined),
    goBack: () => inWindow(() => browser.back()),
    close: () =>
      inWindow(async () => {
        await browser.closeWindow()
        await browser.switchToWindow(first)
      }),
    bringToFront: () => inWindow(() => Promise.resolve()),
    onConsole() {
      // WebDriver classic has no console events.
    },
  }
}
