import type { Page as PlaywrightPage } from 'playwright-core'
import type { Page as PuppeteerPage } from 'puppeteer-core'

/**
 * One tab, as the e2e tests drive it, in whichever engine. The few operations they need,
 * with one meaning across drivers (Playwright for Chromium, puppeteer-core over WebDriver
 * BiDi for Firefox), so each test is written once.
 */
export interface Tab {
  /** Runs `fn` in the page with one serialisable argument; resolves with its (awaited) result. */
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>
  /** Polls `fn` in the page until it returns a truthy value (not a Promise: see `waitUntil`). */
  waitForFunction<A>(fn: (arg: A) => unknown, arg?: A, options?: { timeout?: number; polling?: number }): Promise<void>
  /** Waits until an element matching `selector` is in the DOM (visible or not). */
  waitForSelector(selector: string): Promise<void>
  goto(url: string): Promise<void>
  /** Goes back; resolves once navigation commits (a back/forward cache restore fires no load event). */
  goBack(): Promise<void>
  /** Closes the tab as a user would, without running `beforeunload`. */
  close(): Promise<void>
  /** Makes this the foreground tab (a background tab is throttled). */
  bringToFront(): Promise<void>
  /** Calls `listener` with the text of each console message of the page. */
  onConsole(listener: (text: string) => void): void
}

const DEFAULT_TIMEOUT = 30_000

/** A {@link Tab} over a Playwright page (Chromium). */
export function chromiumTab(page: PlaywrightPage): Tab {
  return {
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A) =>
      page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown),
    async waitForFunction(fn, arg, options = {}) {
      await page.waitForFunction(fn as (arg: unknown) => unknown, arg as unknown, {
        timeout: options.timeout ?? DEFAULT_TIMEOUT,
        polling: options.polling ?? 50,
      })
    },
    async waitForSelector(selector) {
      await page.waitForSelector(selector, { state: 'attached', timeout: DEFAULT_TIMEOUT })
    },
    async goto(url) {
      await page.goto(url)
    },
    async goBack() {
      await page.goBack({ waitUntil: 'commit' })
    },
    close: () => page.close({ runBeforeUnload: false }),
    bringToFront: () => page.bringToFront(),
    onConsole(listener) {
      page.on('console', (m) => listener(m.text()))
    },
  }
}

/** A {@link Tab} over a puppeteer-core page (Firefox, WebDriver BiDi). */
export function firefoxTab(page: PuppeteerPage): Tab {
  return {
    // puppeteer passes its arguments separately; exactly one here, as with Playwright.
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A) =>
      page.evaluate(fn as (arg: unknown) => Promise<R>, arg) as Promise<R>,
    async waitForFunction(fn, arg, options = {}) {
      await page.waitForFunction(
        fn as (arg: unknown) => unknown,
        { timeout: options.timeout ?? DEFAULT_TIMEOUT, polling: options.polling ?? 50 },
        arg,
      )
    },
    async waitForSelector(selector) {
      await page.waitForSelector(selector, { timeout: DEFAULT_TIMEOUT })
    },
    async goto(url) {
      await page.goto(url)
    },
    async goBack() {
      await page.goBack()
    },
    close: () => page.close({ runBeforeUnload: false }),
    bringToFront: () => page.bringToFront(),
    onConsole(listener) {
      page.on('console', (m) => listener(m.text()))
    },
  }
}
