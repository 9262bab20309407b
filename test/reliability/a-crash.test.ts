import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveFixture } from '../e2e/serve.ts'
import { endTab, faultMechanisms, killBrowser, type Fault } from './faults.ts'
import { History } from './history.ts'
import { createProfile, engines, engineSetup, slowness, type Engine } from './profile.ts'
import type { Workload } from './protocol.ts'
import { FileReport, harness, iterations, large, type Recorder } from './report.ts'
import { openTab } from './session.ts'
import { checkerTab, verifyLog } from './verify.ts'

// A. Crash and durability: a tab or the whole browser dies mid-append, for single appends,
// batches and one large transaction. The checker reopens the profile: nothing acknowledged
// is lost, no batch is torn, and retrying the indeterminate calls with the same ids is a
// no-op for those that committed. In each engine BROOK_BROWSERS selects (default Chromium
// and Firefox); what each fault is per engine: faults.ts `faultMechanisms`.
const report = new FileReport('a-crash')
let server: Awaited<ReturnType<typeof serveFixture>>
beforeAll(async () => {
  server = await serveFixture()
})
afterAll(async () => {
  await server?.close()
  report.write()
})

const workloads = {
  single: { mode: 'single', count: 2000, streams: 8, concurrency: 8 },
  batch: { mode: 'batch', count: 20_000, batchSize: 100, streams: 6, concurrency: 3 },
  large: { mode: 'large', count: large() ? 10_000 : 4000, streams: 2, concurrency: 1 },
} as const satisfies Record<string, Omit<Workload, 'store' | 'actor'>>

const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1))

/**
 * The workloads each fault cuts: at CI size one per fault type (every workload and every
 * fault still covered once per run); in a large run (`--scale`) the full matrix.
 */
const ciWorkload: Record<Fault, keyof typeof workloads> = {
  crash: 'large',
  kill: 'single',
  close: 'batch',
  'browser-kill': 'batch',
}
const workloadsFor = (fault: Fault): (keyof typeof workloads)[] =>
  large() ? (Object.keys(workloads) as (keyof typeof workloads)[]) : [ciWorkload[fault]]

/** One scenario: a fresh profile, then each workload in its own store, each cut by `fault`. */
async function crashScenario(r: Recorder, engine: Engine, fault: Fault): Promise<void> {
  const profile = createProfile({ engine })
  const history = new History()
  try {
    const browser = await harness('launch', () => profile.start(history))
    // The checker tab of one workload is the producer of the next: one page load each.
    let page = await harness('open tab', async () => openTab(browser, server.url, 'producer', await browser.firstTab()))
    for (const kind of workloadsFor(fault)) {
      const store = `a-${kind}`
      await page.evaluate((w) => window.rel.start(w), { ...workloads[kind], store, actor: `producer-${kind}` })
      const mine = () => history.list().filter((o) => o.op.actor === `producer-${kind}`)
      // Fault point: a random acknowledgement count, or (one large transaction) a random
      // delay after the call was issued.
      if (kind === 'large') {
        await history.until(() => mine().length > 0, 60_000, 'the large commit to be issued')
        await new Promise((resolve) => setTimeout(resolve, random(0, 400)))
      } else {
        const target = random(1, kind === 'single' ? 40 : 15)
        const acked = () => mine().filter((o) => o.outcome.status === 'ok').length
        await history.until(() => acked() >= target, 60_000, `${target} acknowledgements`)
      }
      if (fault === 'browser-kill') {
        await killBrowser(profile)
        const relaunched = await harness('relaunch', () => profile.start(history))
        page = await harness('checker tab', async () =>
          openTab(relaunched, server.url, 'checker', await relaunched.firstTab()),
        )
      } else {
        await endTab(profile, page, fault)
        page = await checkerTab(profile.browser!, server.url)
      }
      const { problems } = await verifyLog(r, page, store, history)
      r.fault(fault, problems.length === 0)
      expect(problems, `${fault} / ${kind}`).toEqual([])
    }
  } finally {
    await profile.dispose()
  }
}

describe.each(engines)('A: crash and durability (%s, fresh profile per iteration)', (engine) => {
  const faults: Fault[] = ['crash', 'kill', 'close', 'browser-kill']
  beforeAll(() => {
    report.faultMechanisms(engine, faultMechanisms[engine])
    report.difference(engine, 'setup', engineSetup[engine])
    if (engine === 'firefox') report.difference(engine, 'crash', faultMechanisms.firefox.crash)
  })
  for (const fault of faults) {
    it(
      `${fault} mid-append (${large() ? 'single, batch, large' : ciWorkload[fault]}): no acknowledged loss, no torn batch, retries are no-ops`,
      async () => {
        for (let i = 0; i < iterations(1); i++) {
          await report.iteration(`A ${fault} [${engine}]`, (r) => crashScenario(r, engine, fault), engine)
        }
      },
      600_000 * slowness[engine],
    )
  }
})

// A file with no test fails to load: say why there is nothing to run in the engines asked for.
if (engines.length === 0)
  it('A: runs in Chromium and Firefox only', (ctx) => ctx.skip('BROOK_BROWSERS selects neither chromium nor firefox'))
