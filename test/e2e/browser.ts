import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import puppeteer, { type Browser } from 'puppeteer-core'
import { chromiumLaunchOptions, firefoxLaunchOptions, selectedEngines } from '../engines.mjs'
import { chromiumTab, firefoxTab, type Tab } from './tab.ts'
import { launchWebKit } from './webkit.ts'

export type { Tab } from './tab.ts'

/** The engines the Node-driven e2e tests run in. */
export type Engine = 'chromium' | 'firefox' | 'webkit'

/** The e2e engines selected by `BROOK_BROWSERS` (default: all three). */
export const e2eEngines = selectedEngines() as Engine[]

/**
 * What an engine's driver can do to a tab beyond scripting it. Tests that need one of these
 * skip where it is missing, naming the engine and the feature.
 */
export interface Faults {
  /** Kill one tab's renderer, as a crash would (Chromium: CDP `Page.crash`). */
  crash?: (tab: Tab) => Promise<void>
  /** Freeze or resume a tab's page (Chromium: CDP `Page.setWebLifecycleState`). */
  freeze?: (tab: Tab, frozen: boolean) => Promise<void>
}

/**
 * Whether pages can enter the back/forward cache under automation (with
 * `launchFresh(engine, { backForwardCache: true })`; WebKitGTK uses it under WebDriver
 * anyway). Firefox never uses it under puppeteer, headless or not: `pagehide.persisted` is
 * always false and going back reloads the page.
 */
export const backForwardCache: Record<Engine, boolean> = { chromium: true, firefox: false, webkit: true }

/**
 * Whether a worker terminated in the middle of an IndexedDB transaction lets go of it.
 * WebKitGTK does not: the transaction stays open until the page that owned the worker
 * closes, and every readwrite transaction on its object stores waits for it, in every tab
 * (measured: a page's readwrite on the consumer checkpoints hung after 9 to 22 kill
 * rounds and went through once the killing tab closed). A killed worker there stands for
 * an engine defect, not for a crash, which ends the page's processes too.
 */
export const workerKillReleasesTransactions: Record<Engine, boolean> = { chromium: true, firefox: true, webkit: false }

/**
 * Whether `launchFresh(engine, { quota })` can cap an origin's quota: Chromium through CDP,
 * Firefox through a pref; WebKit's driver has neither.
 */
export const quotaCap: Record<Engine, boolean> = { chromium: true, firefox: true, webkit: false }

/** A browser with a fresh profile: every tab of it shares one origin's storage. */
export interface Session {
  engine: Engine
  /** A new tab at `url`, with `init` run before the page's own scripts when given (see `initScripts`). */
  newTab(url: string, init?: string): Promise<Tab>
  /** Whether `newTab` can run a script before the page's own (WebKit's WebDriver cannot). */
  initScripts: boolean
  faults: Faults
  close(): Promise<void>
}

/**
 * A browser of `engine` with a fresh profile, so every scenario starts with empty storage.
 *
 * @example
 * ```ts
 * const session = await launchFresh('firefox')
 * const tab = await session.newTab(fixture.url)
 * ```
 */
export async function launchFresh(engine: Engine, options: LaunchOptions = {}): Promise<Session> {
  if (engine === 'webkit') {
    const { newTab, close } = await launchWebKit()
    return {
      engine,
      async newTab(url, init) {
        if (init !== undefined) throw new Error('WebKit has no init scripts from its driver')
        return newTab(url)
      },
      initScripts: false,
      faults: {},
      close,
    }
  }
  return engine === 'chromium' ? launchChromium(options) : launchFirefox(options)
}

export interface LaunchOptions {
  /** Let pages enter the back/forward cache (Chromium; see {@link backForwardCache}). */
  backForwardCache?: boolean
  /** Cap the storage quota of `origin` (both engines, each its own way). */
  quota?: { origin: string; bytes: number }
}

/**
 * Chromium through Playwright, with a fresh profile: for Chromium-only tests that use
 * Playwright itself (locators, page errors).
 *
 * @example
 * ```ts
 * const { context, close } = await launchPlaywright()
 * ```
 */
export async function launchPlaywright(
  options: { backForwardCache?: boolean } = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'brook-profile-'))
  const context = await chromium.launchPersistentContext(dir, chromiumLaunchOptions(options))
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function launchChromium(options: LaunchOptions): Promise<Session> {
  const { context, close } = await launchPlaywright(options)
  if (options.quota !== undefined) {
    // Chromium caches an origin's space allotment: the override only holds when set before
    // the origin's first use of storage in this browser (or 30 s later).
    const page = await context.newPage()
    const { origin, bytes } = options.quota
    // The override lasts as long as the CDP session that set it: this page stays open.
    await (await context.newCDPSession(page)).send('Storage.overrideQuotaForOrigin', { origin, quotaSize: bytes })
  }
  const pages = new WeakMap<Tab, Page>()
  const cdp = async (tab: Tab) => {
    const page = pages.get(tab)
    if (page === undefined) throw new Error('not a tab of this browser')
    return context.newCDPSession(page)
  }
  return {
    engine: 'chromium',
    initScripts: true,
    async newTab(url, init) {
      const page = await context.newPage()
      if (init !== undefined) await page.addInitScript(init)
      const tab = chromiumTab(page)
      pages.set(tab, page)
      await tab.goto(url)
      return tab
    },
    faults: {
      async crash(tab) {
        // Never answers: the renderer is gone.
        void (await cdp(tab)).send('Page.crash').catch(() => {})
      },
      async freeze(tab, frozen) {
        await (await cdp(tab)).send('Page.setWebLifecycleState', { state: frozen ? 'frozen' : 'active' })
      },
    },
    close,
  }
}

// One Firefox per test process, and a fresh user context for each session: a user context
// has storage, locks and channels of its own, and costs a fraction of the ~3 s launch.
let sharedFirefox: Promise<Browser> | undefined

async function launchFirefox(options: LaunchOptions): Promise<Session> {
  // A quota is a browser-wide pref: that session gets a browser of its own.
  const own = options.quota === undefined ? undefined : await startFirefox(firefoxQuota(options.quota.bytes))
  sharedFirefox ??= startFirefox({})
  const context = await (own ?? (await sharedFirefox)).createBrowserContext()
  return {
    engine: 'firefox',
    initScripts: true,
    async newTab(url, init) {
      // A window each: Firefox runs the timers of a tab hidden behind another about 1 s late.
      const page = await context.newPage({ type: 'window' })
      if (init !== undefined) await page.evaluateOnNewDocument(init)
      const tab = firefoxTab(page)
      await tab.goto(url)
      return tab
    },
    faults: {},
    close: async () => {
      await context.close()
      await own?.close()
    },
  }
}

// puppeteer-core writes a fresh temporary profile (with its automation prefs) and removes
// it on close. WebDriver BiDi, so no CDP: no crash or freeze.
function startFirefox(prefs: Record<string, unknown>): Promise<Browser> {
  return puppeteer.launch(firefoxLaunchOptions(prefs))
}

/**
 * Closes the browsers shared by the sessions of this test process (call after the last).
 *
 * @example
 * ```ts
 * afterAll(closeSharedBrowsers)
 * ```
 */
export async function closeSharedBrowsers(): Promise<void> {
  const firefox = sharedFirefox
  sharedFirefox = undefined
  await (await firefox)?.close()
}

/**
 * Firefox has no per-origin override; it caps all temporary storage (KiB). A fresh profile
 * holds one site, which then gets all of it (measured with Firefox 153:
 * `navigator.storage.estimate().quota` equals the limit).
 */
function firefoxQuota(bytes: number): Record<string, number> {
  return { 'dom.quotaManager.temporaryStorage.fixedLimit': Math.ceil(bytes / 1024) }
}

/**
 * Waits until the page set `data-ready` on its body (the store is open, the app rendered).
 *
 * @example
 * ```ts
 * await waitReady(tab)
 * ```
 */
export async function waitReady(tab: Pick<Tab, 'waitForSelector'>): Promise<void> {
  await tab.waitForSelector('body[data-ready="true"]')
}

/**
 * Waits until `predicate`, run in the page, returns true; unlike the drivers'
 * `waitForFunction`, it awaits an async predicate (waitForFunction takes the returned
 * Promise itself for a truthy answer and resolves at once).
 *
 * @example
 * ```ts
 * await waitUntil(tab, async () => (await navigator.locks.query()).held?.length === 0)
 * ```
 */
export async function waitUntil<A>(
  tab: Pick<Tab, 'evaluate'>,
  predicate: (arg: A) => boolean | Promise<boolean>,
  arg?: A,
  timeoutMs = 30_000,
): Promise<void> {
  await tab.evaluate(
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
