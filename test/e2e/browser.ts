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
