import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import puppeteer, { type Browser as PuppeteerBrowser, type Page as PuppeteerPage } from 'puppeteer-core'
import { chromiumTab, firefoxTab, type Tab } from '../e2e/tab.ts'
import { chromiumLaunchOptions, firefoxLaunchOptions, selectedEngines } from '../engines.mjs'
import type { History } from './history.ts'

// test/e2e/browser.ts's launchFresh makes and deletes its own profile; the reliability
// suite must relaunch the SAME profile after a browser SIGKILL and reopen it for the
// checker, and it needs the browser's pid to kill it. Same binaries, flags and prefs
// (engines.mjs). Chromium is driven by Playwright, Firefox by puppeteer-core over
// WebDriver BiDi; scenarios that run in both go through {@link Browser} and {@link BrowserTab}.

/** The engines the reliability scenarios run in (WebKit's driver has no init scripts, bindings or crash). */
export type Engine = 'chromium' | 'firefox'

/**
 * The engines of the scenarios written for both (a-crash, c-concurrency): `BROOK_BROWSERS`,
 * default Chromium and Firefox (WebKit's driver has no page scripting API the suite uses).
 */
export const engines: Engine[] = selectedEngines(['chromium', 'firefox']).filter(
  (e): e is Engine => e === 'chromium' || e === 'firefox',
)

/** How each engine is driven, where it matters to a figure: written to the report. */
export const engineSetup: Record<Engine, string> = {
  chromium:
    'Playwright persistent context (CDP); every page is visible, background throttling off (Playwright’s flags)',
  firefox:
    'puppeteer-core over WebDriver BiDi on a kept --profile; every tab is its own window (newPage({ type: "window" })), as Firefox throttles a hidden tab’s timers to about 1 s (an 80 ms setTimeout fired ~920 ms late in a background tab, on time in a window); bindings are page.exposeFunction on each tab before it loads, init scripts page.evaluateOnNewDocument',
}

/**
 * How much longer a scenario takes in each engine, for its timeouts: Firefox ran the CI-size
 * scenarios 2–3× slower than Chromium (each binding call is several BiDi round trips).
 */
export const slowness: Record<Engine, number> = { chromium: 1, firefox: 3 }

/** One tab of a {@link Browser}: the e2e {@link Tab}, plus what the reliability scenarios need. */
export interface BrowserTab extends Tab {
  readonly engine: Engine
  /** Runs `fn(arg)` in every document this tab loads from now on, before the page's own scripts. */
  addInitScript<A>(fn: (arg: A) => void, arg?: A): Promise<void>
  /** The driver's own page, for engine-specific faults (faults.ts). */
  readonly driver: { engine: 'chromium'; page: Page } | { engine: 'firefox'; page: PuppeteerPage }
}

/** A running browser on a {@link Profile}, in either engine. */
export interface Browser {
  readonly engine: Engine
  /** Pid of the browser's main process. */
  readonly pid: number
  /** Resolves once the browser is gone (closed or killed) and its driver let go of the profile. */
  readonly gone: Promise<void>
  /** A new blank tab (the exposed functions already installed). */
  newTab(): Promise<BrowserTab>
  /** The first tab of the browser (a fresh launch opens a blank one), else a new one. */
  firstTab(): Promise<BrowserTab>
  /** Every open tab whose page is not `about:blank`. */
  pageCount(): Promise<number>
  /**
   * Makes `fn` callable from every page of this browser as `window[name](arg)`, resolving
   * with its result; installed before the page's own scripts (Chromium: a Playwright
   * binding on the context; Firefox: `page.exposeFunction` on each tab before it loads).
   */
  expose<A>(name: string, fn: (arg: A) => unknown): Promise<void>
  /** Closes every tab, without `beforeunload` (the browser stays up). */
  closeTabs(): Promise<void>
  close(): Promise<void>
  /** The driver's own browser, for engine-specific faults (faults.ts). */
  readonly driver: { engine: 'chromium'; context: BrowserContext } | { engine: 'firefox'; browser: PuppeteerBrowser }
}

const ours = new WeakSet<object>()

/** Whether `x` is a {@link BrowserTab} (else a Playwright page, as the Chromium-only scenarios use). */
export const isBrowserTab = (x: Page | BrowserTab): x is BrowserTab => ours.has(x)

/** Whether `x` is a {@link Browser} (else a Playwright context, as the Chromium-only scenarios use). */
export const isBrowser = (x: BrowserContext | Browser): x is Browser => ours.has(x)

/** Registers `x` as one of ours (see {@link isBrowserTab}, {@link isBrowser}). */
function own<T extends object>(x: T): T {
  ours.add(x)
  return x
}

/** A browser profile directory that outlives the browsers launched on it. */
export interface Profile {
  readonly dir: string
  readonly engine: Engine
  /** The running browser's Playwright context (Chromium only: the Chromium-only scenarios use Playwright itself). */
  context: BrowserContext | undefined
  /** The running browser, in either engine. */
  browser: Browser | undefined
  /** Pid of the running browser's main process. */
  pid: number
  /** (Re)launches Chromium on this profile; resolves with its Playwright context. Chromium only: see {@link Profile.start}. */
  launch(history?: History): Promise<BrowserContext>
  /** (Re)launches a browser of the profile's engine on it; the history is attached before any page loads. */
  start(history?: History): Promise<Browser>
  /** Closes the browser gracefully (kept profile). */
  close(): Promise<void>
  /** Closes the browser and deletes the profile. */
  dispose(): Promise<void>
}

/**
 * Makes a fresh profile (nothing launched yet), for Chromium unless `engine` says otherwise.
 *
 * @example
 * ```ts
 * const profile = createProfile({ engine: 'firefox' })
 * const browser = await profile.start(history)
 * ```
 */
export function createProfile(options: { backForwardCache?: boolean; engine?: Engine } = {}): Profile {
  const engine = options.engine ?? 'chromium'
  const dir = mkdtempSync(join(tmpdir(), 'brook-reliability-'))
  const profile: Profile = {
    dir,
    engine,
    context: undefined,
    browser: undefined,
    pid: 0,
    async launch(history) {
      if (engine !== 'chromium')
        throw new Error(`Profile.launch gives a Playwright context (Chromium); use start() in ${engine}`)
      await profile.start(history)
      return profile.context as BrowserContext
    },
    async start(history) {
      const browser = engine === 'chromium' ? await launchChromium(dir, options) : await launchFirefox(dir)
      profile.browser = browser
      profile.context = browser.driver.engine === 'chromium' ? browser.driver.context : undefined
      profile.pid = browser.pid
      if (history !== undefined) await history.attach(browser)
      return browser
    },
    async close() {
      const b = profile.browser
      profile.browser = undefined
      profile.context = undefined
      await b?.close().catch(() => {})
    },
    async dispose() {
      await profile.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return profile
}

async function launchChromium(dir: string, options: { backForwardCache?: boolean }): Promise<Browser> {
  const context = await chromium.launchPersistentContext(dir, chromiumLaunchOptions(options))
  const gone = new Promise<void>((resolve) => context.once('close', () => resolve()))
  const tabs = new WeakMap<Page, BrowserTab>()
  const tabOf = (page: Page): BrowserTab => {
    let tab = tabs.get(page)
    if (tab === undefined) {
      tab = own<BrowserTab>({
        ...chromiumTab(page),
        engine: 'chromium',
        async addInitScript(fn, arg) {
          await page.addInitScript(fn as (arg: unknown) => void, arg)
        },
        driver: { engine: 'chromium', page },
      })
      tabs.set(page, tab)
    }
    return tab
  }
  return own<Browser>({
    engine: 'chromium',
    pid: browserPid(dir, 'chromium'),
    gone,
    newTab: async () => tabOf(await context.newPage()),
    firstTab: async () => tabOf(context.pages()[0] ?? (await context.newPage())),
    pageCount: () => Promise.resolve(context.pages().filter((p) => p.url() !== 'about:blank').length),
    async expose(name, fn) {
      await context.exposeBinding(name, (_source, arg: Parameters<typeof fn>[0]) => fn(arg))
    },
    async closeTabs() {
      for (const page of context.pages()) await page.close({ runBeforeUnload: false }).catch(() => {})
    },
    close: () => context.close(),
    driver: { engine: 'chromium', context },
  })
}

/**
 * Firefox on the kept profile `dir` (`--profile dir`). puppeteer-core writes its automation
 * prefs into the profile's user.js and restores the previous one when the process exits.
 * Firefox itself takes over the lock files a SIGKILLed Firefox left (their pid is dead).
 */
async function launchFirefox(dir: string): Promise<Browser> {
  const browser = await puppeteer.launch(firefoxLaunchOptions({}, { userDataDir: dir }))
  const disconnected = new Promise<void>((resolve) => browser.once('disconnected', () => resolve()))
  const proc = browser.process()
  const exited =
    proc === null || proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  // Once the process is gone, puppeteer puts back the profile's own prefs.js and user.js:
  // wait for that, or a relaunch would race it.
  const gone = Promise.all([disconnected, exited]).then(() => prefsRestored(dir))
  const exposed = new Map<string, (arg: never) => unknown>()
  const tabs = new Map<PuppeteerPage, BrowserTab>()
  const tabOf = async (page: PuppeteerPage): Promise<BrowserTab> => {
    const known = tabs.get(page)
    if (known !== undefined) return known
    // A preload script per tab: it must be there before the tab loads the fixture.
    for (const [name, fn] of exposed) await page.exposeFunction(name, fn)
    const tab = own<BrowserTab>({
      ...firefoxTab(page),
      close: () => closeFirefoxPage(browser, page),
      engine: 'firefox',
      async addInitScript(fn, arg) {
        await page.evaluateOnNewDocument(fn as (arg: unknown) => void, arg)
      },
      driver: { engine: 'firefox', page },
    })
    tabs.set(page, tab)
    page.once('close', () => tabs.delete(page))
    return tab
  }
  return own<Browser>({
    engine: 'firefox',
    pid: browserPid(dir, 'firefox'),
    gone,
    // A window each: a background tab's timers run about once a second (see engineSetup).
    newTab: async () => tabOf(await browser.newPage({ type: 'window' })),
    firstTab: async () => tabOf((await browser.pages())[0] ?? (await browser.newPage({ type: 'window' }))),
    pageCount: async () => (await browser.pages()).filter((p) => p.url() !== 'about:blank').length,
    async expose(name, fn) {
      exposed.set(name, fn)
      for (const page of tabs.keys()) await page.exposeFunction(name, fn)
    },
    async closeTabs() {
      // A blank tab stays: Firefox does not close its last one (see closeFirefoxPage).
      const blank = await browser.newPage()
      for (const page of await browser.pages()) {
        if (page !== blank) await page.close({ runBeforeUnload: false }).catch(() => {})
      }
    },
    async close() {
      if (browser.connected) await browser.close()
      await gone
    },
    driver: { engine: 'firefox', browser },
  })
}

/**
 * Closes `page` without `beforeunload` and resolves once it is gone. Firefox ignores a
 * close of its last tab (under WebDriver BiDi the call resolves, the page keeps running and
 * stays in `pages()`): a blank tab is opened first when `page` is the only one.
 */
export async function closeFirefoxPage(browser: PuppeteerBrowser, page: PuppeteerPage): Promise<void> {
  if ((await browser.pages()).every((p) => p === page)) await browser.newPage()
  await page.close({ runBeforeUnload: false })
  const end = Date.now() + 10_000
  while ((await browser.pages()).includes(page)) {
    if (Date.now() > end) throw new Error('Firefox did not close the tab')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Resolves once puppeteer put back the prefs it backed up (`*.puppeteer`), or after 5 s. */
async function prefsRestored(dir: string): Promise<void> {
  const end = Date.now() + 5000
  while (Date.now() < end && ['prefs.js', 'user.js'].some((f) => existsSync(join(dir, `${f}.puppeteer`)))) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Proc {
  pid: number
  ppid: number
  /** The kernel's name of the process (Firefox names its content processes: `Web Content`, `WebExtensions`…). */
  comm: string
  cmdline: string
}

/** Every process, from /proc (Linux). */
export function processes(): Proc[] {
  const out: Proc[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ')
      out.push({ pid: Number(name), ppid, comm, cmdline })
    } catch {
      // The process ended while we looked.
    }
  }
  return out
}

/** `root` and every process below it. */
export function descendants(root: number, all = processes()): Proc[] {
  const found = all.filter((p) => p.pid === root)
  for (let i = 0; i < found.length; i++) {
    for (const p of all) if (p.ppid === (found[i] as Proc).pid) found.push(p)
  }
  return found
}

// Other people run browsers on this machine: ours is the one started with our profile dir
// (not a wrapper script that would start it).
function browserPid(dir: string, engine: Engine): number {
  const all = processes()
  const mains =
    engine === 'chromium'
      ? all.filter((p) => p.cmdline.includes(`--user-data-dir=${dir}`) && !p.cmdline.includes('--type='))
      : all.filter((p) => p.cmdline.includes(`--profile ${dir}`) && !p.cmdline.includes('-contentproc'))
  // The innermost, should a wrapper have forked the browser rather than exec'd it.
  const main = mains.find((p) => !mains.some((q) => q.ppid === p.pid))
  if (main === undefined) throw new Error(`no browser process for ${dir}`)
  return main.pid
}

/** SIGKILLs the renderer processes of the Chromium `pid` (single-tab scenarios). */
export function killRenderers(pid: number): number {
  const renderers = descendants(pid).filter((p) => p.cmdline.includes('--type=renderer'))
  for (const p of renderers) killQuietly(p.pid)
  return renderers.length
}

/**
 * SIGKILLs the web content processes of the Firefox `pid` (single-tab scenarios): those
 * started with `-contentproc … tab`, but the WebExtensions one (it hosts no page). Tabs
 * share them (puppeteer turns site isolation off), so every tab dies.
 */
export function killContentProcesses(pid: number): number {
  const content = descendants(pid).filter(
    (p) => p.cmdline.includes('-contentproc') && /\stab\s*$/.test(p.cmdline) && p.comm !== 'WebExtensions',
  )
  for (const p of content) killQuietly(p.pid)
  return content.length
}

/** SIGKILLs the browser `pid` and every process below it, as a power cut of the app would. */
export function killTree(pid: number): void {
  for (const p of descendants(pid).reverse()) killQuietly(p.pid)
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}
