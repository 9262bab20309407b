import { afterAll, afterEach, beforeAll, beforeEach, type TestContext } from 'vitest'
import {
  backForwardCache,
  closeSharedBrowsers,
  workerKillReleasesTransactions,
  launchFresh,
  waitReady,
  type Engine,
  type Faults,
  type Session,
  type Tab,
} from './browser.ts'
import { serveFixture } from './serve.ts'

const engineNames: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit' }

/** What each fault is, for skip reasons. */
const faultNames: Record<keyof Faults | 'backForwardCache' | 'initScripts' | 'workerKill', string> = {
  crash: 'way to crash one tab from its driver (CDP Page.crash)',
  freeze: 'way to freeze a page from its driver (CDP Page.setWebLifecycleState)',
  backForwardCache: 'back/forward cache under automation',
  initScripts: 'way to run a script before a page’s own from its driver',
  workerKill:
    'release of the transactions of a worker terminated mid-transaction (its store stays blocked until the page closes)',
}

/**
 * The shared set-up of a Node-driven e2e suite in `engine`: the fixture app served once,
 * a browser with a fresh profile for every test. Call it inside a `describe`.
 *
 * @example
 * ```ts
 * describe.each(e2eEngines)('live across tabs (%s)', (engine) => {
 *   const e2e = e2eSuite(engine)
 *   it('...', async () => {
 *     const [a, b] = [await e2e.tab(), await e2e.tab()]
 *   })
 * })
 * ```
 */
export function e2eSuite(engine: Engine) {
  let fixture: Awaited<ReturnType<typeof serveFixture>> | undefined
  let session: Session | undefined
  beforeAll(async () => {
    fixture = await serveFixture()
  })
  afterAll(async () => {
    await fixture?.close()
    await closeSharedBrowsers()
  })
  beforeEach(async () => {
    session = await launchFresh(engine)
  })
  afterEach(async () => {
    await session?.close()
    session = undefined
  })
  const current = () => {
    if (session === undefined || fixture === undefined) throw new Error('e2eSuite is used outside a test')
    return { session, fixture }
  }

  return {
    engine,
    /** The fixture's URL (127.0.0.1: a secure context) and origin. */
    get fixture() {
      return current().fixture
    },
    /** What this engine's driver can do to a tab beyond scripting it. */
    get faults(): Faults {
      return current().session.faults
    },
    /** A new tab of the fixture, ready (store open); `init` runs before the page's scripts. */
    async tab(init?: string): Promise<Tab> {
      const { session: s, fixture: f } = current()
      const tab = await s.newTab(f.url, init)
      await waitReady(tab)
      return tab
    },
    /** Replaces this test's browser by a fresh one launched with `options`. */
    async relaunch(options: { backForwardCache?: boolean }): Promise<void> {
      await current().session.close()
      session = await launchFresh(engine, options)
    },
    /**
     * The driver's fault `name`; where this engine's driver has none, skips the test with a
     * reason naming the engine and what it lacks.
     */
    fault<K extends keyof Faults>(ctx: TestContext, name: K): NonNullable<Faults[K]> {
      const fault = current().session.faults[name]
      if (fault === undefined) ctx.skip(`${engineNames[engine]} has no ${faultNames[name]}`)
      return fault
    },
    /** Skips the test where killing a worker mid-transaction blocks its store (WebKit). */
    needCleanWorkerKill(ctx: TestContext): void {
      ctx.skip(!workerKillReleasesTransactions[engine], `${engineNames[engine]} has no ${faultNames.workerKill}`)
    },
    /** Skips the test where the driver cannot run a script before the page's own. */
    needInitScripts(ctx: TestContext): void {
      ctx.skip(!current().session.initScripts, `${engineNames[engine]} has no ${faultNames.initScripts}`)
    },
    /** Skips the test where pages cannot enter the back/forward cache; else relaunches with it on. */
    async needBackForwardCache(ctx: TestContext): Promise<void> {
      ctx.skip(!backForwardCache[engine], `${engineNames[engine]} has no ${faultNames.backForwardCache}`)
      await this.relaunch({ backForwardCache: true })
    },
  }
}
