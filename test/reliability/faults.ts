import type { BrowserContext, Page } from 'playwright-core'
import { killRenderers, killTree, type Profile } from './profile.ts'

/** The faults a scenario can inject into a tab or the whole browser. */
export const TabFaults = ['crash', 'kill', 'close'] as const
export type TabFault = (typeof TabFaults)[number]

/**
 * Ends `page` by `fault` and resolves once it is gone:
 * - `crash`: CDP `Page.crash` (the renderer aborts);
 * - `kill`: SIGKILL of the renderer processes (use on single-tab browsers only);
 * - `close`: `page.close({ runBeforeUnload: false })`, no unload handlers.
 *
 * @example
 * ```ts
 * await endTab(profile, page, 'crash')
 * ```
 */
export async function endTab(profile: Profile, page: Page, fault: TabFault): Promise<void> {
  const context = profile.context as BrowserContext
  if (fault === 'close') {
    await page.close({ runBeforeUnload: false })
    return
  }
  const crashed = page.waitForEvent('crash', { timeout: 30_000 })
  if (fault === 'crash') {
    const cdp = await context.newCDPSession(page)
    void cdp.send('Page.crash').catch(() => {}) // never answers: the renderer is gone
  } else if (killRenderers(profile.pid) === 0) {
    throw new Error('no renderer process to kill')
  }
  await crashed
  // A crashed page stays in the context (and would break page.clock elsewhere): drop it.
  await page.close().catch(() => {})
}

/**
 * SIGKILLs the whole browser (every process of it) and resolves once Playwright saw it go.
 *
 * @example
 * ```ts
 * await killBrowser(profile)
 * await profile.launch(history) // same profile
 * ```
 */
export async function killBrowser(profile: Profile): Promise<void> {
  const context = profile.context as BrowserContext
  const gone = new Promise<void>((resolve) => context.once('close', () => resolve()))
  killTree(profile.pid)
  await gone
  profile.context = undefined
}

/** Freezes or resumes a page as the browser's lifecycle policy would (CDP, stricter than Chrome's own). */
export async function setFrozen(context: BrowserContext, page: Page, frozen: boolean): Promise<void> {
  const cdp = await context.newCDPSession(page)
  await cdp.send('Page.setWebLifecycleState', { state: frozen ? 'frozen' : 'active' })
  await cdp.detach()
}
