import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isBrookError, type RecordedEvent } from '@brook/core'
import { pattern, type AfterMatch, type Pattern, type PatternMatch } from './pattern.ts'
import { pipeline } from './pipeline.ts'
import { createHarness, cut, recorded } from './test-helpers.ts'

// Property tests of patterns against a brute-force reference written from the definitions:
// per key, the accepted events (not late: W before the event <= its time) sorted by event
// time (ties: arrival) form the key's sequence; events before the final watermark are
// processed. From each event matching the first step, the unique skip-till-next-match path is
// followed (strict steps take only the very next event; a negation kills the path if it
// matches before the next positive step; `within` bounds every event of a match; a trailing
// negation must see no match before start + within, which the watermark must have reached).
// 'no-skip' emits every completed path; 'skip-past-last' takes them in completion order and
// drops any that starts at or before the last event of an emitted match.

type Letter = 'A' | 'B' | 'C' | 'D'
type Ev = RecordedEvent<string, { letter: Letter; at: number }>
type StepKind = 'next' | 'followedBy' | 'not'

interface Def {
  first: Letter[]
  rest: { kind: StepKind; letters: Letter[] }[]
  within: number | undefined
  afterMatch: AfterMatch
  outOfOrder: number
}

const letters = fc.subarray<Letter>(['A', 'B', 'C'], { minLength: 1, maxLength: 2 })

const defs: fc.Arbitrary<Def> = fc
  .record({
    first: letters,
    rest: fc.array(fc.record({ kind: fc.constantFrom<StepKind>('next', 'followedBy', 'not'), letters }), {
      maxLength: 3,
    }),
    within: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    afterMatch: fc.constantFrom<AfterMatch>('skip-past-last', 'no-skip'),
    outOfOrder: fc.integer({ min: 0, max: 25 }),
  })
  .map((d) => {
    // A step right after a negation must be relaxed (the definition rejects `next` there).
    const rest = d.rest.map((s, i) =>
      s.kind === 'next' && d.rest[i - 1]?.kind === 'not' ? { ...s, kind: 'followedBy' as const } : s,
    )
    const trailing = rest[rest.length - 1]?.kind === 'not'
    return { ...d, rest, within: trailing ? (d.within ?? 40) : d.within }
  })

const streams = fc
  .record({
    list: fc.array(
      fc.record({
        key: fc.constantFrom('a', 'b'),
        letter: fc.constantFrom<Letter>('A', 'B', 'C'),
        jitter: fc.integer({ min: -30, max: 30 }),
      }),
      { minLength: 6, maxLength: 35 },
    ),
    flush: fc.boolean(),
  })
  .map(({ list, flush }) => {
    const events: Ev[] = list.map(({ key, letter, jitter }, i) =>
      recorded({
        position: i + 1,
        stream: key,
        type: 'Letter',
        data: { letter, at: Math.max(0, i * 4 + jitter) },
        time: 0,
      }),
    )
    if (flush) {
      events.push(
        recorded({ position: list.length + 1, stream: 'zz', type: 'Letter', data: { letter: 'D', at: 1e6 }, time: 0 }),
      )
    }
    return events
  })

const has = (set: Letter[]) => (e: Ev) => set.includes(e.data.letter)

function build(d: Def): Pattern<Ev> {
  let p = pattern<Ev>({ afterMatch: d.afterMatch, outOfOrder: d.outOfOrder, time: (e) => e.data.at }).begin(
    's0',
    has(d.first),
  )
  d.rest.forEach((s, i) => {
    const name = `s${i + 1}`
    p =
      s.kind === 'next'
        ? p.next(name, has(s.letters))
        : s.kind === 'followedBy'
          ? p.followedBy(name, has(s.letters))
          : p.notFollowedBy(name, has(s.letters))
  })
  return d.within === undefined ? p : p.within(d.within)
}

interface Found {
  key: string
  ids: Record<string, string>
  start: number
  end: number
}

function reference(d: Def, events: readonly Ev[]): { matches: Found[]; late: string[] } {
  let max = Number.NEGATIVE_INFINITY
  const late: string[] = []
  const accepted: Ev[] = []
  for (const e of events) {
    if (max - d.outOfOrder > e.data.at) late.push(e.id)
    else accepted.push(e)
    max = Math.max(max, e.data.at)
  }
  const final = max - d.outOfOrder
  const matches: Found[] = []
  for (const key of ['a', 'b']) {
    const seq = accepted.filter((e) => e.stream === key && e.data.at < final).sort((x, y) => x.data.at - y.data.at)
    // Positive steps with the negations just before them; trailing negations apart.
    const positives: { name: string; letters: Letter[]; strict: boolean; forbid: Letter[][] }[] = [
      { name: 's0', letters: d.first, strict: false, forbid: [] },
    ]
    let forbid: Letter[][] = []
    d.rest.forEach((s, i) => {
      if (s.kind === 'not') forbid.push(s.letters)
      else {
        positives.push({ name: `s${i + 1}`, letters: s.letters, strict: s.kind === 'next', forbid })
        forbid = []
      }
    })
    const candidates: { start: number; last: number; order: number; found: Found }[] = []
    seq.forEach((first, i) => {
      if (!d.first.includes(first.data.letter)) return
      const t0 = first.data.at
      const ids: Record<string, string> = { s0: first.id }
      let last = i
      for (const step of positives.slice(1)) {
        let hit = -1
        for (let j = last + 1; j < seq.length; j++) {
          const x = seq[j] as Ev
          if (d.within !== undefined && x.data.at >= t0 + d.within) break
          if (step.forbid.some((f) => f.includes(x.data.letter))) break
          if (step.letters.includes(x.data.letter)) {
            hit = j
            break
          }
          if (step.strict) break
        }
        if (hit === -1) return
        ids[step.name] = (seq[hit] as Ev).id
        last = hit
      }
      let order = last
      if (forbid.length > 0) {
        const deadline = t0 + (d.within as number)
        if (final < deadline) return
        const after = seq.slice(last + 1).filter((x) => x.data.at < deadline)
        if (after.some((x) => forbid.some((f) => f.includes(x.data.letter)))) return
        order = deadline
      }
      candidates.push({ start: i, last, order, found: { key, ids, start: t0, end: (seq[last] as Ev).data.at } })
    })
    candidates.sort((x, y) => x.order - y.order || x.start - y.start)
    let pastLast = -1
    for (const c of candidates) {
      if (d.afterMatch === 'skip-past-last') {
        if (c.start <= pastLast) continue
        pastLast = c.last
      }
      matches.push(c.found)
    }
  }
  return { matches, late }
}

async function runPattern(d: Def, events: readonly Ev[], cuts: readonly number[]) {
  const consumer = pipeline<Ev>('patterns')
    .from({ types: ['Letter'] })
    .keyBy((e) => e.stream)
    .apply(build(d))
    .emit((m) => ({ stream: 'out', type: 'Matched', data: { ...m } }))
    .late((l) => ({ stream: 'late', type: 'Late', data: { id: l.event.id } }))
    .toConsumer({ store: 'test' })
  const h = createHarness(consumer)
  for (const batch of cut(events, cuts)) await h.run(batch)
  const matches: Found[] = []
  const late: string[] = []
  for (const { stream, event } of h.committed.appended) {
    if (stream === 'late') {
      late.push((event.data as { id: string }).id)
      continue
    }
    const m = event.data as PatternMatch<Ev>
    const ids = Object.fromEntries(Object.entries(m.events).map(([name, e]) => [name, e.id]))
    // The cause is the match's last event (the last positive step).
    const lastStep = Object.keys(ids).sort().pop() as string
    expect(event.meta?.['causationId']).toBe(ids[lastStep])
    matches.push({ key: m.key, ids, start: m.start, end: m.end })
  }
  return { matches, late }
}

const canon = (list: Found[]) =>
  list.map((m) => JSON.stringify([m.key, m.start, m.end, Object.entries(m.ids).sort()])).sort()

describe('patterns against a brute-force reference', () => {
  it('sequence, followed-by, not-followed-by and within, under both after-match policies', async () => {
    await fc.assert(
      fc.asyncProperty(defs, streams, fc.array(fc.nat(), { maxLength: 6 }), async (d, events, cuts) => {
        const got = await runPattern(d, events, cuts)
        const want = reference(d, events)
        expect(canon(got.matches)).toEqual(canon(want.matches))
        expect(got.late).toEqual(want.late)
      }),
      { numRuns: 400 },
    )
  })

  it("under 'skip-past-last' no event takes part in two matches", async () => {
    await fc.assert(
      fc.asyncProperty(defs, streams, async (d, events) => {
        const { matches } = await runPattern({ ...d, afterMatch: 'skip-past-last' }, events, [])
        const used = matches.flatMap((m) => Object.values(m.ids))
        expect(new Set(used).size).toBe(used.length)
      }),
      { numRuns: 100 },
    )
  })
})

describe('pattern examples', () => {
  const ev = (position: number, letter: Letter, at: number, key = 'a') =>
    recorded({ position, stream: key, type: 'Letter', data: { letter, at }, time: at })
  const flush = (position: number) => ev(position, 'D', 1e6, 'zz')
  const ids = async (p: Pattern<Ev>, events: Ev[]) => {
    const consumer = pipeline<Ev>('p')
      .keyBy((e) => e.stream)
      .apply(p)
      .emit((m) => ({ stream: 'out', type: 'M', data: Object.values(m.events).map((e) => e.id) }))
      .toConsumer({ store: 'test' })
    const h = createHarness(consumer)
    await h.run(events)
    return h.committed.appended.map((a) => a.event.data)
  }
  const isA = (e: Ev) => e.data.letter === 'A'
  const isB = (e: Ev) => e.data.letter === 'B'
  const isC = (e: Ev) => e.data.letter === 'C'

  it('followed-by skips unrelated events; next does not', async () => {
    const events = [ev(1, 'A', 1), ev(2, 'C', 2), ev(3, 'B', 3), flush(4)]
    expect(await ids(pattern<Ev>().begin('a', isA).followedBy('b', isB), events)).toEqual([['e1', 'e3']])
    expect(await ids(pattern<Ev>().begin('a', isA).next('b', isB), events)).toEqual([])
  })

  it('orders by event time, not arrival, within outOfOrder', async () => {
    const events = [ev(1, 'B', 5), ev(2, 'A', 3), flush(3)]
    expect(await ids(pattern<Ev>({ outOfOrder: 5 }).begin('a', isA).next('b', isB), events)).toEqual([['e2', 'e1']])
  })

  it('not-followed-by as the last step waits for within, and a matching event cancels it', async () => {
    const p = pattern<Ev>().begin('a', isA).notFollowedBy('c', isC).within(10)
    expect(await ids(p, [ev(1, 'A', 0), ev(2, 'C', 9), ev(3, 'A', 20), ev(4, 'C', 30), flush(5)])).toEqual([['e3']])
  })

  it("'skip-past-last' lets a matched event in one match only; 'no-skip' in many", async () => {
    const events = [ev(1, 'A', 1), ev(2, 'A', 2), ev(3, 'B', 3), flush(4)]
    expect(await ids(pattern<Ev>().begin('a', isA).followedBy('b', isB), events)).toEqual([['e1', 'e3']])
    expect(await ids(pattern<Ev>({ afterMatch: 'no-skip' }).begin('a', isA).followedBy('b', isB), events)).toEqual([
      ['e1', 'e3'],
      ['e2', 'e3'],
    ])
  })

  it("'skip-past-last' drops a match that starts on the last event of one emitted at the same time", async () => {
    const isAB = (e: Ev) => isA(e) || isB(e)
    const p = pattern<Ev>().begin('x', isAB).followedBy('y', isB).notFollowedBy('c', isC).within(10)
    // (e1, e2) and (e2, e3) both complete when the flush passes their deadlines.
    expect(await ids(p, [ev(1, 'A', 0), ev(2, 'B', 1), ev(3, 'B', 2), flush(4)])).toEqual([['e1', 'e2']])
  })

  it('conditions see the events matched so far', async () => {
    const rising = pattern<RecordedEvent<string, { v: number }>>()
      .begin('low', () => true)
      .followedBy('high', (e, m) => e.data.v > (m['low']?.data.v ?? 0) + 10)
    const consumer = pipeline<RecordedEvent<string, { v: number }>>('p')
      .apply(rising)
      .emit((m) => ({ stream: 'out', type: 'Rise', data: [m.events['low']?.id ?? '', m.events['high']?.id ?? ''] }))
      .toConsumer({ store: 'test' })
    const h = createHarness(consumer)
    const r = (position: number, v: number) =>
      recorded({ position, stream: 's', type: 'R', data: { v }, time: position })
    await h.run([r(1, 5), r(2, 12), r(3, 16), r(4, 100)])
    expect(h.committed.appended.map((a) => a.event.data)).toEqual([['e1', 'e3']])
  })

  it('rejects incomplete or contradictory definitions with VALIDATION', () => {
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return isBrookError(err, 'VALIDATION') ? err.path : 'other error'
      }
      return 'no error'
    }
    const base = () => pattern<Ev>().begin('a', isA)
    expect(code(() => pipeline<Ev>('p').apply(base().notFollowedBy('c', isC)))).toBe('pattern')
    expect(code(() => base().notFollowedBy('c', isC).next('b', isB))).toBe('pattern.next')
    expect(code(() => base().followedBy('a', isB))).toBe('pattern.followedBy(name)')
    expect(code(() => base().within(0))).toBe('pattern.within')
    expect(code(() => base().within(5).within(6))).toBe('pattern.within')
    expect(code(() => pattern({ afterMatch: 'skip-to-next' as AfterMatch }))).toBe('pattern.afterMatch')
    expect(code(() => pattern({ within: 5 } as never))).toBe('pattern.within')
  })
})
