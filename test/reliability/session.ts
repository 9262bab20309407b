import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { waitReady } from '../e2e/browser.ts'
import { chromiumTab } from '../e2e/tab.ts'
import type { Dump } from './checker.ts'

/** The harness module, served by the e2e fixture's Vite server through its /@fs/ route. */
const harnessPath = `/@fs${fileURLToPath(new URL('./fixture/harness.ts', import.meta.url))}`

/**
 * Opens a tab on the e2e fixture page with the reliability harness (`window.rel`) loaded.
 *
 * @example
 * ```ts
 * const page = await openTab(context, server.url, 'producer-1')
 * ```
 */
export async function openTab(context: BrowserContext, url: string, actor: string, page?: Page): Promise<Page> {
  const p = page ?? (await context.newPage())
  await p.goto(url)
  await loadHarness(p, actor)
  return p
}

/** Loads the harness into a page already on the fixture (also after a reload or a restore). */
export async function loadHarness(page: Page, actor: string): Promise<void> {
  await waitReady(chromiumTab(page))
  // A string, not a function: Vitest would rewrite `import()` inside a function body.
  await page.evaluate(`import(${JSON.stringify(harnessPath)})`)
  await page.waitForSelector('body[data-rel="ready"]', { state: 'attached' })
  await page.evaluate((a) => window.rel.init(a), actor)
}

/** The first (blank) page of a freshly launched persistent context, used as a tab. */
export const firstPage = (context: BrowserContext): Promise<Page> =>
  Promise.resolve(context.pages()[0] ?? context.newPage())

/**
 * Dumps store `store`'s database with raw IndexedDB (no Brook code involved), from `page`
 * or a new page of `context` (closed afterwards so it blocks nothing).
 *
 * @example
 * ```ts
 * const dump = await dumpStore(context, server.url, 'a1')
 * ```
 */
export async function dumpStore(context: BrowserContext, url: string, store: string, page?: Page): Promise<Dump> {
  if (page !== undefined) return page.evaluate(dumpInPage, `brook:${store}`)
  const p = await context.newPage()
  try {
    await p.goto(url)
    await waitReady(chromiumTab(p))
    return await p.evaluate(dumpInPage, `brook:${store}`)
  } finally {
    await p.close()
  }
}

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
