import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { chromiumArgs, chromiumPath } from '../chromium.mjs'

/**
 * A browser with a fresh profile, so every scenario starts with empty storage.
 *
 * @example
 * ```ts
 * const { context, close } = await launchFresh()
 * const page = await context.newPage()
 * ```
 */
export async function launchFresh(
  options: { backForwardCache?: boolean } = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'brook-profile-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    // Playwright turns the back/forward cache off by default; bfcache tests need it.
    ...(options.backForwardCache === true ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Waits until the page set `data-ready` on its body (the store is open, the app rendered).
 *
 * @example
 * ```ts
 * await waitReady(page)
 * ```
 */
export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' })
}

/**
 * Waits until `predicate`, run in the page, returns true; unlike Playwright's
 * `waitForFunction`, it awaits an async predicate (waitForFunction takes the returned
 * Promise itself for a truthy answer and resolves at once).
 *
 * @example
 * ```ts
 * await waitUntil(page, async () => (await navigator.locks.query()).held?.length === 0)
 * ```
 */
export async function waitUntil<A>(
  page: Page,
  predicate: (arg: A) => boolean | Promise<boolean>,
  arg?: A,
  timeoutMs = 30_000,
): Promise<void> {
  await page.evaluate(
    async ({ source, value, timeout }) => {
      const check = (0, eval)(`(${source})`) as (a: unknown) => unknown
      const end = performance.now() + timeout
      while (!(await check(value))) {
        if (performance.now() > end) throw new Error(`waitUntil timed out after ${timeout} ms: ${source}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    { source: predicate.toString(), value: arg, timeout: timeoutMs },
  )
}
