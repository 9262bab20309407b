import type { BrowserContext, Page } from 'playwright-core'
import type { Page as PuppeteerPage } from 'puppeteer-core'
import {
  closeFirefoxPage,
  isBrowserTab,
  killContentProcesses,
  killRenderers,
  killTree,
  type BrowserTab,
  type Engine,
  type Profile,
} from './profile.ts'

/** The faults a scenario can inject into a tab or the whole browser. */
export const TabFaults = ['crash', 'kill', 'close'] as const
export type TabFault = (typeof TabFaults)[number]
export type Fault = TabFault | 'browser-kill'

/**
 * What each fault is in each engine: written to the report, so a figure is read for what
 * was really done.
 */
export const faultMechanisms: Record<Engine, Record<Fault, string>> = {
  chromium: {
    crash: 'CDP Page.crash: the tab’s renderer aborts',
    kill: 'SIGKILL of every renderer process (--type=renderer) of the browser',
    close: 'Playwright page.close({ runBeforeUnload: false })',
    'browser-kill': 'SIGKILL of the browser’s whole process tree, then a relaunch on the same profile',
  },
  firefox: {
    crash:
      'no driver crash in Firefox (CDP Page.crash has no WebDriver BiDi equivalent): SIGKILL of the web content processes, as kill (single-tab browsers only)',
    kill: 'SIGKILL of the web content processes (-contentproc … tab, not WebExtensions) of the browser',
    close:
      'puppeteer page.close({ runBeforeUnload: false }) (BiDi browsingContext.close, promptUnload false), after opening a blank tab when it is the only one: Firefox ignores a close of its last tab',
    'browser-kill':
      'SIGKILL of the browser’s whole process tree (main, forkserver, content, socket, RDD, utility), then a relaunch on the same profile (Firefox takes over the stale lock files)',
  },
}

/**
 * Why `crash` cannot end one tab of several in an engine (none: it can). Firefox's stands in
 * with a content-process kill, and its tabs share content processes: it would end every tab.
 */
export const noSingleTabCrash: Partial<Record<Engine, string>> = {
  firefox:
    'Firefox has no way to crash one tab of several from its driver: CDP Page.crash has no WebDriver BiDi equivalent, and the stand-in (SIGKILL of the web content processes) ends every tab, since tabs share content processes (puppeteer sets fission.webContentIsolationStrategy=0)',
}

/**
 * Ends `page` by `fault` and resolves once it is gone (see {@link faultMechanisms}):
 * - `crash`: Chromium, CDP `Page.crash` (the renderer aborts); Firefox, as `kill`, and
 *   refused while another page is open;
 * - `kill`: SIGKILL of the renderer / web content processes (single-tab browsers only);
 * - `close`: closed without running unload prompts (`runBeforeUnload: false`).
 *
 * @example
 * ```ts
 * await endTab(profile, page, 'crash')
 * ```
 */
export async function endTab(profile: Profile, page: Page | BrowserTab, fault: TabFault): Promise<void> {
  if (!isBrowserTab(page)) return endChromiumPage(profile.context as BrowserContext, profile.pid, page, fault)
  const driver = page.driver
  if (driver.engine === 'chromium')
    return endChromiumPage(profile.context as BrowserContext, profile.pid, driver.page, fault)
  return endFirefoxPage(profile, driver.page, fault)
}

async function endChromiumPage(context: BrowserContext, pid: number, page: Page, fault: TabFault): Promise<void> {
  if (fault === 'close') {
    await page.close({ runBeforeUnload: false })
    return
  }
  const crashed = page.waitForEvent('crash', { timeout: 30_000 })
  if (fault === 'crash') {
    const cdp = await context.newCDPSession(page)
    void cdp.send('Page.crash').catch(() => {}) // never answers: the renderer is gone
  } else if (killRenderers(pid) === 0) {
    throw new Error('no renderer process to kill')
  }
  await crashed
  // A crashed page stays in the context (and would break page.clock elsewhere): drop it.
  await page.close().catch(() => {})
}

async function endFirefoxPage(profile: Profile, page: PuppeteerPage, fault: TabFault): Promise<void> {
  const driver = profile.browser?.driver
  if (driver?.engine !== 'firefox') throw new Error('not a Firefox profile')
  if (fault === 'close') {
    await closeFirefoxPage(driver.browser, page)
    return
  }
  if (fault === 'crash' && ((await profile.browser?.pageCount()) ?? 0) > 1) {
    throw new Error('Firefox cannot crash one tab of several: no CDP Page.crash, and tabs share content processes')
  }
  if (killContentProcesses(profile.pid) === 0) throw new Error('no content process to kill')
  await contentGone(page)
  // The tab now shows Firefox's crash page (parent process): drop it.
  await closeFirefoxPage(driver.browser, page).catch(() => {})
}

/**
 * Resolves once scripts no longer run in `page` (its content process is gone). Firefox
 * then swaps in a crash page; puppeteer fires no event for it, so poll.
 */
async function contentGone(page: PuppeteerPage): Promise<void> {
  const end = Date.now() + 30_000
  while (Date.now() < end) {
    const alive = await Promise.race([
      page
        .evaluate(() => true)
        .then(
          () => true,
          () => false,
        ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 2000)),
    ])
    if (!alive) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the tab still runs scripts 30 s after its content processes were killed')
}

/**
 * SIGKILLs the whole browser (every process of it) and resolves once its driver saw it go.
 *
 * @example
 * ```ts
 * await killBrowser(profile)
 * await profile.start(history) // same profile
 * ```
 */
export async function killBrowser(profile: Profile): Promise<void> {
  const browser = profile.browser
  if (browser === undefined) throw new Error('no browser to kill')
  killTree(profile.pid)
  await browser.gone
  profile.browser = undefined
  profile.context = undefined
}

/** Freezes or resumes a page as the browser's lifecycle policy would (CDP, stricter than Chrome's own). */
export async function setFrozen(context: BrowserContext, page: Page, frozen: boolean): Promise<void> {
  const cdp = await context.newCDPSession(page)
  await cdp.send('Page.setWebLifecycleState', { state: frozen ? 'frozen' : 'active' })
  await cdp.detach()
}
