import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { waitReady } from '../e2e/browser.ts'
import { chromiumTab, type Tab } from '../e2e/tab.ts'
import type { Dump } from './checker.ts'
import { isBrowser, isBrowserTab, type Browser, type BrowserTab } from './profile.ts'

/** The harness module, served by the e2e fixture's Vite server through its /@fs/ route. */
const harnessPath = `/@fs${fileURLToPath(new URL('./fixture/harness.ts', import.meta.url))}`

/** `page` as a {@link Tab}: a {@link BrowserTab} already is one; a Playwright page is wrapped. */
export const asTab = (page: Page | BrowserTab): Tab => (isBrowserTab(page) ? page : chromiumTab(page))

/**
 * Opens a tab on the e2e fixture page with the reliability harness (`window.rel`) loaded:
 * in a Playwright context (Chromium-only scenarios) or a {@link Browser} of either engine.
 *
 * @example
 * ```ts
 * const page = await openTab(context, server.url, 'producer-1')
 * const tab = await openTab(profile.browser!, server.url, 'producer-1')
 * ```
 */
export async function openTab(context: BrowserContext, url: string, actor: string, page?: Page): Promise<Page>
export async function openTab(browser: Browser, url: string, actor: string, tab?: BrowserTab): Promise<BrowserTab>
export async function openTab(
  on: BrowserContext | Browser,
  url: string,
  actor: string,
  page?: Page | BrowserTab,
): Promise<Page | BrowserTab> {
  const p = page ?? (isBrowser(on) ? await on.newTab() : await on.newPage())
  await asTab(p).goto(url)
  await loadHarness(p, actor)
  return p
}

/** Loads the harness into a page already on the fixture (also after a reload or a restore). */
export async function loadHarness(page: Page | BrowserTab, actor: string): Promise<void> {
  const tab = asTab(page)
  await waitReady(tab)
  // A string, not a function: Vitest would rewrite `import()` inside a function body. The
  // driver evaluates it (not the page's `eval`, which a strict CSP forbids).
  await evaluateExpression(page, `import(${JSON.stringify(harnessPath)}).then(() => true)`)
  await tab.waitForSelector('body[data-rel="ready"]')
  await tab.evaluate((a) => window.rel.init(a), actor)
}

/** Evaluates the expression `source` in `page` through its driver. */
function evaluateExpression(page: Page | BrowserTab, source: string): Promise<unknown> {
  if (!isBrowserTab(page)) return page.evaluate(source)
  const { driver } = page
  return driver.engine === 'chromium' ? driver.page.evaluate(source) : driver.page.evaluate(source)
}

/** The first (blank) page of a freshly launched browser, used as a tab. */
export function firstPage(context: BrowserContext): Promise<Page>
export function firstPage(browser: Browser): Promise<BrowserTab>
export function firstPage(on: BrowserContext | Browser): Promise<Page | BrowserTab> {
  return isBrowser(on) ? on.firstTab() : Promise.resolve(on.pages()[0] ?? on.newPage())
}

/**
 * Dumps store `store`'s database with raw IndexedDB (no Brook code involved), from `page`
 * or a new page of `context` (closed afterwards so it blocks nothing).
 *
 * @example
 * ```ts
 * const dump = await dumpStore(context, server.url, 'a1')
 * ```
 */
export async function dumpStore(
  context: BrowserContext | Browser,
  url: string,
  store: string,
  page?: Page | BrowserTab,
): Promise<Dump> {
  if (page !== undefined) return dumpTab(asTab(page), store)
  const tab = isBrowser(context) ? await context.newTab() : chromiumTab(await context.newPage())
  try {
    await tab.goto(url)
    await waitReady(tab)
    return await dumpTab(tab, store)
  } finally {
    await tab.close()
  }
}

/** Dumps store `store`'s database from `tab` (raw IndexedDB, see {@link dumpStore}). */
export const dumpTab = (tab: Pick<Tab, 'evaluate'>, store: string): Promise<Dump> =>
  tab.evaluate(dumpInPage, `brook:${store}`)

/** Runs in the page: every row of the log, checkpoints and consumer state. */
export async function dumpInPage(name: string): Promise<Dump> {
  const empty: Dump = { exists: false, version: 0, events: [], checkpoints: [], state: [] }
  // Opening a database that does not exist would create it: look first.
  if (!(await indexedDB.databases()).some((d) => d.name === name)) return empty
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('open failed'))
  })
  try {
    const all = <T>(table: string) =>
      db.objectStoreNames.contains(table)
        ? new Promise<T[]>((resolve, reject) => {
            const req = db.transaction(table).objectStore(table).getAll()
            req.onsuccess = () => resolve(req.result as T[])
            req.onerror = () => reject(req.error ?? new Error('read failed'))
          })
        : Promise.resolve([] as T[])
    const events = (await all<Dump['events'][number]>('events')).map((e) => ({
      id: e.id,
      stream: e.stream,
      version: e.version,
      position: e.position,
      type: e.type,
      data: e.data,
      time: e.time,
    }))
    return {
      exists: true,
      version: db.version,
      events,
      checkpoints: await all('checkpoints'),
      state: await all('consumerState'),
    }
  } finally {
    db.close()
  }
}
