import { openWebKitSession } from '../webkit-session.mjs'
import type { Tab } from './tab.ts'

const DEFAULT_TIMEOUT = 30_000
// WebDriver's own limit on one script; the longest in-page waits (waitUntil) stay below it.
const SCRIPT_TIMEOUT = 120_000

/**
 * WebKitGTK's MiniBrowser with a fresh profile (an automation session keeps its storage in
 * memory), its windows as tabs. Waits poll one script at a time, so waits on several tabs
 * (a race) take turns instead of one holding the driver. No init scripts, no console, no
 * crash or freeze.
 *
 * @example
 * ```ts
 * const { newTab, close } = await launchWebKit()
 * const tab = await newTab(fixture.url)
 * ```
 */
export async function launchWebKit(): Promise<{ newTab: (url: string) => Promise<Tab>; close: () => Promise<void> }> {
  const session = await openWebKitSession({ scriptTimeoutMs: SCRIPT_TIMEOUT })
  return {
    async newTab(url) {
      const window = await session.openWindow(url)
      const evaluate = <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A) => window.evaluate<R>(fn, arg)
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
        goto: (to) => window.goto(to),
        goBack: () => window.back(),
        close: () => window.close(),
        bringToFront: () => window.bringToFront(),
        onConsole() {
          // WebDriver classic has no console events.
        },
      }
    },
    close: () => session.close(),
  }
}
