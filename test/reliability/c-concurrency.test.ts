import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveFixture } from '../e2e/serve.ts'
import { endTab, faultMechanisms, killBrowser, noSingleTabCrash } from './faults.ts'
import { History } from './history.ts'
import { createProfile, engines, engineSetup, slowness, type BrowserTab, type Engine, type Profile } from './profile.ts'
import { sharedBrowser } from './shared.ts'
import { verifyProjection } from './projection-check.ts'
import type { Op, Workload } from './protocol.ts'
import { FileReport, harness, iterations, large } from './report.ts'
import { dumpStore, openTab } from './session.ts'
import { checkerTab, verifyConsumer, verifyLog } from './verify.ts'

// C. Concurrency, ordering and idempotency: expected-version races across tabs, idempotent
// retries across a browser SIGKILL, a soak of producers in tabs and workers under random
// faults with a consumer and a projection, skewed clocks, and BroadcastChannel blocked. In
// each engine BROOK_BROWSERS selects (default Chromium and Firefox).
const report = new FileReport('c-concurrency')
let server: Awaited<ReturnType<typeof serveFixture>>
beforeAll(async () => {
  server = await serveFixture()
})
afterAll(async () => {
  await server?.close()
  report.write()
})

async function scenario(engine: Engine, run: (profile: Profile, history: History) => Promise<void>): Promise<void> {
  const profile = createProfile({ engine })
  const history = new History()
  try {
    await harness('launch', () => profile.start(history))
    await run(profile, history)
  } finally {
    await profile.dispose()
  }
}

const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1))

/** Resolves once every op in `ids` has an outcome (ok or fail). */
const settled = (history: History, ids: readonly string[], what: string) =>
  history.until(() => ids.every((id) => history.ops.get(id)?.outcome.status !== 'info'), 30_000, what)

/** The head of `store` as a page sees it through Brook. */
const headOf = (page: BrowserTab, store: string) =>
  page.evaluate(async (s) => (await window.rel.store(s)).head(), store)

/** Waits until progress actor(s) matching `prefix` reported a checkpoint ≥ `position`. */
const caughtUp = (history: History, prefix: string, position: number, timeoutMs = 90_000) =>
  history.until(
    () => history.progress.some((p) => p.actor.startsWith(prefix) && p.position >= position),
    timeoutMs,
    `${prefix}* at ${position}`,
  )

describe.each(engines)('C: concurrency, ordering, idempotency (%s)', (engine) => {
  const shared = sharedBrowser(engine)
  beforeAll(() => {
    report.faultMechanisms(engine, faultMechanisms[engine])
    report.difference(engine, 'setup', engineSetup[engine])
    const noCrash = noSingleTabCrash[engine]
    if (noCrash !== undefined)
      report.difference(engine, 'C3 crash', `not injected (C3 draws from the other kinds): ${noCrash}`)
  })
  afterAll(() => shared.dispose())
  /** Names each scenario with its engine in the report. */
  const name = (scenario: string) => `${scenario} [${engine}]`

  it(
    'C1 expected-version race: K tabs × R rounds, exactly one winner, losers typed CONCURRENCY',
    async () => {
      await report.iteration(
        name('C1 expected-version race'),
        (r) =>
          shared.run(async (profile, history) => {
            const browser = profile.browser!
            const k = large() ? 5 : 3
            const tabs: BrowserTab[] = []
            for (let i = 0; i < k; i++) {
              const page = i === 0 ? await browser.firstTab() : undefined
              tabs.push(await harness('tab', () => openTab(browser, server.url, `racer-${i}`, page)))
            }
            for (const t of tabs) await t.evaluate(() => window.rel.store('race'))
            const rounds = iterations(15)
            const bad: string[] = []
            for (let round = 0; round < rounds; round++) {
              const ops: Op[] = tabs.map((_, i) => {
                const id = `race:${round}:${i}`
                return {
                  id,
                  kind: 'append',
                  store: 'race',
                  actor: `racer-${i}`,
                  entries: [
                    {
                      stream: 'race',
                      expected: round,
                      events: [{ id: randomUUID(), type: 'Added', data: { n: round, op: id } }],
                    },
                  ],
                }
              })
              // Every tab issues at the same wall-clock instant.
              const at = Date.now() + 80
              await Promise.all(
                tabs.map((t, i) =>
                  t.evaluate(([o, when]) => window.rel.invokeAt('race', o, when), [ops[i]!, at] as const),
                ),
              )
              await settled(
                history,
                ops.map((o) => o.id),
                `round ${round}`,
              )
              const outcomes = ops.map((o) => history.ops.get(o.id)!.outcome)
              const winners = outcomes.filter((o) => o.status === 'ok').length
              const losers = outcomes.filter((o) => o.status === 'fail')
              const typed = losers.filter(
                (o) =>
                  o.status === 'fail' &&
                  o.failure.typed &&
                  o.failure.code === 'CONCURRENCY' &&
                  o.failure.fields?.expected === round &&
                  o.failure.fields?.actual === round + 1,
              ).length
              r.zero('raceRoundsWithoutExactlyOneWinner', winners === 1 ? 0 : 1)
              r.zero('raceLosersNotTypedConcurrency', losers.length - typed)
              r.total('raceLosers', losers.length)
              r.total('raceRounds', 1)
              if (winners !== 1 || typed !== losers.length) {
                bad.push(
                  `round ${round}: ${winners} winners, ${JSON.stringify(losers.map((o) => o.status === 'fail' && o.failure))}`,
                )
              }
            }
            const tab = await checkerTab(browser, server.url)
            const { problems } = await verifyLog(r, tab, 'race', history, { retry: false })
            expect(bad.slice(0, 5)).toEqual([])
            expect(problems).toEqual([])
          }),
        engine,
      )
    },
    120_000 * slowness[engine],
  )

  it(
    'C2 idempotent retry across a browser SIGKILL: same ids = no-op with the original result; other content = ID_CONFLICT',
    async () => {
      for (let i = 0; i < iterations(1); i++) {
        await report.iteration(
          name('C2 idempotent retry across restart'),
          (r) =>
            scenario(engine, async (profile, history) => {
              const browser = profile.browser!
              const page = await harness('tab', async () => openTab(browser, server.url, 'p', await browser.firstTab()))
              await page.evaluate((w) => window.rel.start(w), {
                store: 'idem',
                actor: 'idem',
                mode: 'single',
                count: 3000,
                streams: 5,
                concurrency: 6,
              } satisfies Workload)
              const target = random(5, 60)
              await history.until(() => history.acked() >= target, 60_000, `${target} acknowledgements`)
              await killBrowser(profile)
              r.fault('browser-kill', true)
              const relaunched = await harness('relaunch', () => profile.start(history))
              const tab = await harness('tab', async () =>
                openTab(relaunched, server.url, 'c', await relaunched.firstTab()),
              )
              // verifyLog retries every indeterminate op and the last acknowledged ones with the
              // same ids: stored ones must return their original position and version and write nothing.
              const { problems } = await verifyLog(r, tab, 'idem', history)
              const acked = history.list().filter((o) => o.op.store === 'idem' && o.outcome.status === 'ok')
              const sample = acked[Math.floor(Math.random() * acked.length)]!
              const entry = sample.op.entries[0]!
              const event = entry.events[0]!
              const conflicts = await tab.evaluate(
                async ([stream, e]) => {
                  const store = await window.rel.store('idem')
                  const code = async (call: () => Promise<unknown>) => {
                    try {
                      await call()
                      return 'ok'
                    } catch (err) {
                      return window.brook.isBrookError(err) ? err.code : `raw ${String(err)}`
                    }
                  }
                  return {
                    otherData: await code(() => store.append(stream, [{ ...e, data: { ...e.data, n: -1 } }])),
                    otherStream: await code(() => store.append(`${stream}-other`, [e])),
                    otherType: await code(() => store.append(stream, [{ ...e, type: 'Other' }])),
                    same: await code(() => store.append(stream, [e])),
                  }
                },
                [entry.stream, event] as const,
              )
              for (const k of ['otherData', 'otherStream', 'otherType'] as const) {
                r.ratio('idConflictTyped', conflicts[k] === 'ID_CONFLICT')
              }
              r.ratio('idempotentSameIdNoop', conflicts.same === 'ok')
              expect(problems).toEqual([])
              expect(conflicts).toEqual({
                otherData: 'ID_CONFLICT',
                otherStream: 'ID_CONFLICT',
                otherType: 'ID_CONFLICT',
                same: 'ok',
              })
              // And the log did not change: no duplicates from the conflicting calls.
              const { problems: after } = await verifyLog(r, tab, 'idem', history, { retry: false })
              expect(after).toEqual([])
            }),
          engine,
        )
      }
    },
    120_000 * slowness[engine],
  )

  it(
    'C3 soak: producers in tabs and workers, a consumer and a projection, random crashes/closes/terminations',
    async () => {
      await report.iteration(
        name('C3 soak with random faults'),
        (r) =>
          scenario(engine, async (profile, history) => {
            const browser = profile.browser!
            const STORE = 'soak'
            const durationMs = large() ? 60_000 : 6000
            const live = new Map<string, BrowserTab>()
            let n = 0
            const faultAt = new Map<string, number>()
            /** Opens a tab that produces (in the page and in a worker) and runs the consumer and the projection. */
            const spawn = async (page?: BrowserTab) => {
              const name = `t${n++}`
              const p = await harness('tab', () => openTab(browser, server.url, name, page))
              await p.evaluate(
                ([s, x]) => {
                  window.rel.start({
                    store: s,
                    actor: `${x}-page`,
                    mode: 'single',
                    count: 1,
                    streams: 12,
                    concurrency: 1,
                    loop: true,
                    prefix: 'soak',
                  })
                  // A producer worker in every other tab (CPU: CI machines have 2 cores).
                  if (Number(x.slice(1)) % 2 === 1) return
                  window.rel.startProducer({
                    store: s,
                    actor: `${x}-worker`,
                    mode: 'batch',
                    batchSize: 5,
                    count: 5,
                    streams: 12,
                    concurrency: 1,
                    loop: true,
                    prefix: 'soak',
                  })
                },
                [STORE, name] as const,
              )
              await p.evaluate(([s, x]) => window.rel.startConsumer(s, 'totals', `totals-${x}`), [STORE, name] as const)
              await p.evaluate(([s, x]) => window.rel.startProjection(s, `proj-${x}`), [STORE, name] as const)
              live.set(name, p)
            }
            await spawn(await browser.firstTab())
            await spawn()
            await spawn()
            const kinds = (
              ['crash', 'close', 'terminate-producers', 'terminate-consumer', 'terminate-projection'] as const
            ).filter((k) => k !== 'crash' || noSingleTabCrash[engine] === undefined)
            const end = Date.now() + durationMs
            while (Date.now() < end) {
              await new Promise((resolve) => setTimeout(resolve, random(800, 2000)))
              const kind = kinds[random(0, kinds.length - 1)]!
              const names = [...live.keys()]
              const name = names[random(0, names.length - 1)]!
              const page = live.get(name)!
              if (kind === 'crash' || kind === 'close') {
                live.delete(name)
                faultAt.set(`totals-${name}`, Date.now())
                await endTab(profile, page, kind)
                await spawn()
              } else if (kind === 'terminate-producers') {
                await page.evaluate(() => window.rel.terminateProducers())
              } else if (kind === 'terminate-consumer') {
                faultAt.set(`totals-${name}`, Date.now())
                await page.evaluate(() => window.rel.terminateConsumer())
              } else {
                await page.evaluate(() => window.rel.terminateProjection())
              }
              r.fault(kind, true)
            }
            for (const page of live.values()) {
              await page.evaluate(() => {
                window.rel.stop()
                window.rel.terminateProducers()
              })
            }
            const pageActors = [...live.keys()].map((x) => `${x}-page`)
            await history.until(
              () => history.list().every((o) => !pageActors.includes(o.op.actor) || o.outcome.status !== 'info'),
              30_000,
              'the live pages’ appends to settle',
            )
            const tab = await checkerTab(browser, server.url)
            const { problems } = await verifyLog(r, tab, STORE, history)
            const head = await headOf(tab, STORE)
            r.total('soakEvents', head)
            // Live consumers and projection builders (some may have been terminated: restart them).
            for (const [name, page] of live) {
              await page.evaluate(([s, x]) => window.rel.startConsumer(s, 'totals', `totals-${x}-final`), [
                STORE,
                name,
              ] as const)
              await page.evaluate(([s, x]) => window.rel.startProjection(s, `proj-${x}-final`), [STORE, name] as const)
            }
            await caughtUp(history, 'totals-', head)
            await caughtUp(history, 'proj-', head)
            const dump = await harness('dump', () => dumpStore(browser, '', STORE, tab))
            problems.push(...verifyConsumer(r, dump, 'totals', head), ...verifyProjection(r, dump, head))
            expect(problems).toEqual([])
          }),
        engine,
      )
    },
    300_000 * slowness[engine],
  )

  it(
    'C4 skewed clocks (+2 y, −2 y, frozen): positions and versions still gap-free and ordered; `time` is data',
    async () => {
      await report.iteration(
        name('C4 clock skew'),
        (r) =>
          shared.run(async (profile, history) => {
            const browser = profile.browser!
            const year = 365 * 24 * 3600 * 1000
            const clocks = { future: 2 * year, past: -2 * year, frozen: 'frozen', normal: 0 } as const
            const tabs = new Map<string, BrowserTab>()
            for (const [actor, skew] of Object.entries(clocks)) {
              const page = actor === 'future' ? await browser.firstTab() : await browser.newTab()
              await page.addInitScript((s: number | 'frozen') => {
                const real = Date.now.bind(Date)
                Date.now = s === 'frozen' ? () => 1_000_000_000_000 : () => real() + s
              }, skew)
              tabs.set(actor, await harness('tab', () => openTab(browser, server.url, actor, page)))
            }
            // The consumer leads from the frozen-clock tab; a subscriber follows in the future tab.
            await tabs.get('frozen')!.evaluate(() => window.rel.startConsumer('skew', 'totals', 'totals-frozen'))
            await tabs.get('past')!.evaluate(() => window.rel.startConsumer('skew', 'totals', 'totals-past'))
            await tabs.get('future')!.evaluate(() => window.fixture.subscribe('skew', 'skew', 'start'))
            const count = iterations(60)
            await Promise.all(
              [...tabs].map(([name, page]) =>
                page.evaluate((w) => window.rel.run(w), {
                  store: 'skew',
                  actor: name,
                  mode: 'single',
                  count,
                  streams: 3,
                  concurrency: 2,
                  prefix: 'clock',
                } satisfies Workload),
              ),
            )
            const checker = await checkerTab(browser, server.url)
            const { problems, dump } = await verifyLog(r, checker, 'skew', history, { retry: false })
            const head = dump.events.length
            await caughtUp(history, 'totals-', head)
            const after = await harness('dump', () => dumpStore(browser, '', 'skew', checker))
            problems.push(...verifyConsumer(r, after, 'totals', head))
            const received = await tabs.get('future')!.evaluate(async (h) => {
              const got = window.fixture.received('skew')
              const end = performance.now() + 30_000
              while (got.positions.length < h && performance.now() < end)
                await new Promise((res) => setTimeout(res, 50))
              return got.positions
            }, head)
            const subscriberInOrder = received.length === head && received.every((p, i) => p === i + 1)
            r.zero('subscriberOrderViolations', subscriberInOrder ? 0 : 1)
            // `time` is the skewed clock, recorded as data: it goes backwards along positions.
            const actorOf = new Map(
              history.list().flatMap((o) => o.op.entries.flatMap((e) => e.events.map((x) => [x.id, o.op.actor]))),
            )
            const now = Date.now()
            const skewSeen = {
              future: dump.events.filter((e) => actorOf.get(e.id) === 'future').every((e) => e.time > now + year),
              past: dump.events.filter((e) => actorOf.get(e.id) === 'past').every((e) => e.time < now - year),
              frozen: dump.events
                .filter((e) => actorOf.get(e.id) === 'frozen')
                .every((e) => e.time === 1_000_000_000_000),
            }
            const sorted = [...dump.events].sort((a, b) => a.position - b.position)
            r.total(
              'timeInversionsAlongPositions',
              sorted.filter((e, i) => i > 0 && e.time < sorted[i - 1]!.time).length,
            )
            r.ratio('clockSkewApplied', skewSeen.future && skewSeen.past && skewSeen.frozen)
            expect(problems).toEqual([])
            expect({ skewSeen, subscriberInOrder, head }).toEqual({
              skewSeen: { future: true, past: true, frozen: true },
              subscriberInOrder: true,
              head: 4 * count,
            })
          }),
        engine,
      )
    },
    180_000 * slowness[engine],
  )

  it(
    'C5 BroadcastChannel blocked in every tab and worker: subscribers, consumers and a projection converge through the poll',
    async () => {
      await report.iteration(
        name('C5 BroadcastChannel blocked'),
        (r) =>
          shared.run(async (profile, history) => {
            const browser = profile.browser!
            const blocked = async (actor: string, page?: BrowserTab) => {
              const p = page ?? (await browser.newTab())
              await blockBroadcast(p)
              return harness('tab', () => openTab(browser, server.url, actor, p))
            }
            const a = await blocked('a', await browser.firstTab())
            const b = await blocked('b')
            const c = await blocked('c')
            await b.evaluate(() => window.fixture.subscribe('nobc', 'nobc', 'start'))
            await b.evaluate(() => window.fixture.listen('topic', 'nobc', 'hello'))
            await b.evaluate(() => window.rel.startConsumer('nobc', 'totals', 'totals-b'))
            await c.evaluate(() => window.rel.startProjection('nobc', 'proj-c'))
            const count = iterations(150)
            await a.evaluate((w) => window.rel.startProducer(w), {
              store: 'nobc',
              actor: 'a-worker',
              mode: 'single',
              count,
              streams: 4,
              concurrency: 2,
            } satisfies Workload)
            await a.evaluate((w) => window.rel.run(w), {
              store: 'nobc',
              actor: 'a-page',
              mode: 'batch',
              batchSize: 10,
              count,
              streams: 4,
              concurrency: 1,
            } satisfies Workload)
            await history.until(
              () =>
                history.list().filter((o) => o.op.actor === 'a-worker' && o.outcome.status === 'ok').length === count,
              60_000,
              'the worker producer',
            )
            await a.evaluate(() => window.brook.createBus('nobc').publish('hello', { from: 'a' }))
            const lastAppend = Date.now()
            const head = await headOf(a, 'nobc')
            expect(head).toBe(2 * count)
            await caughtUp(history, 'totals-b', head)
            await caughtUp(history, 'proj-c', head)
            const got = await b.evaluate(async (h) => {
              const rec = window.fixture.received('nobc')
              const end = performance.now() + 30_000
              while (rec.positions.length < h && performance.now() < end)
                await new Promise((res) => setTimeout(res, 50))
              return { positions: rec.positions, topic: window.fixture.received('topic').messages.length }
            }, head)
            r.sample('convergeWithoutBroadcastMs', Date.now() - lastAppend)
            const stubbed = await Promise.all(
              [a, b, c].map((p) => p.evaluate(() => (window as { __bcBlocked?: number }).__bcBlocked ?? -1)),
            )
            const tab = await checkerTab(browser, server.url)
            const { problems } = await verifyLog(r, tab, 'nobc', history, { retry: false })
            const dump = await harness('dump', () => dumpStore(browser, '', 'nobc', tab))
            problems.push(...verifyConsumer(r, dump, 'totals', head), ...verifyProjection(r, dump, head))
            const inOrder = got.positions.length === head && got.positions.every((p, i) => p === i + 1)
            r.zero('subscriberOrderViolations', inOrder ? 0 : 1)
            r.ratio('convergedWithoutBroadcast', inOrder && problems.length === 0)
            expect(problems).toEqual([])
            // The stub was in use (Brook made channels through it) and really delivered nothing.
            expect({ inOrder, topicMessagesDelivered: got.topic, stubUsed: stubbed.every((x) => x > 0) }).toEqual({
              inOrder: true,
              topicMessagesDelivered: 0,
              stubUsed: true,
            })
          }),
        engine,
      )
    },
    180_000 * slowness[engine],
  )
})

// A file with no test fails to load: say why there is nothing to run in the engines asked for.
if (engines.length === 0)
  it('C: runs in Chromium and Firefox only', (ctx) => ctx.skip('BROOK_BROWSERS selects neither chromium nor firefox'))

/** Replaces BroadcastChannel in `page` before its scripts run (its workers: no-broadcast.ts, by `nobc`). */
async function blockBroadcast(page: BrowserTab): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { BroadcastChannel: unknown; __bcBlocked: number }
    w.__bcBlocked = 0
    w.BroadcastChannel = class BlockedBroadcastChannel extends EventTarget {
      onmessage: unknown = null
      onmessageerror: unknown = null
      constructor(readonly name: string) {
        super()
        w.__bcBlocked += 1
      }
      postMessage(): void {}
      close(): void {}
    }
  })
}
