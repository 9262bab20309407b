import { isDeepStrictEqual } from 'node:util'
import type { OpRecord } from './history.ts'

/** An event as dumped from the reopened profile (raw IndexedDB, not through Brook). */
export interface DumpedEvent {
  id: string
  stream: string
  version: number
  position: number
  type: string
  data: unknown
  time: number
}

/** What the checker reads back from a store's database. */
export interface Dump {
  exists: boolean
  /** Native IndexedDB version (Dexie's version × 10). */
  version: number
  events: DumpedEvent[]
  checkpoints: { consumer: string; position: number }[]
  state: { consumer: string; key: string; value: unknown }[]
}

/** Jepsen-style counts over the log. Every field named in {@link LOG_ZERO} must be 0. */
export interface LogCounts {
  ackedOps: number
  ackedEvents: number
  failedOps: number
  /** Failed with something other than a BrookError. */
  failedUntyped: number
  infoOps: number
  /** Indeterminate operations found fully in the log. */
  infoPresent: number
  /** Indeterminate operations with none of their events in the log. */
  infoAbsent: number
  /** Acknowledged events missing from the log. */
  lost: number
  /** Events of a call that failed (typed: "nothing written") found in the log. */
  failedButStored: number
  /** Logged ids no operation invoked. */
  unexpected: number
  /** Ids stored more than once. */
  duplicates: number
  /** (stream, version) pairs stored more than once. */
  duplicateVersions: number
  /** Operations partly present, or not on consecutive positions in order. */
  torn: number
  positionGaps: number
  versionGaps: number
  /** A stream's version going backwards (or repeating) in position order. */
  orderViolations: number
  /** Acknowledged results whose position/version differ from the stored last event. */
  resultMismatch: number
}

export const LOG_ZERO = [
  'lost',
  'failedButStored',
  'failedUntyped',
  'unexpected',
  'duplicates',
  'duplicateVersions',
  'torn',
  'positionGaps',
  'versionGaps',
  'orderViolations',
  'resultMismatch',
] as const satisfies readonly (keyof LogCounts)[]

/** Counts over one consumer's checkpoint, apply ledger and per-stream totals (totals.consumer.ts layout). */
export interface ConsumerCounts {
  checkpoint: number
  applied: number
  /** Ledger entries above 1. */
  doubleApplied: number
  /** Events at or below the checkpoint never applied. */
  unseen: number
  /** Events applied above the checkpoint, or not in the log at all. */
  appliedBeyondCheckpoint: number
  /** Streams whose totals differ from a fold of the log up to the checkpoint. */
  stateMismatch: number
  /** Versions the consumer saw out of order (its own check). */
  consumerOrderViolations: number
}

export const CONSUMER_ZERO = [
  'doubleApplied',
  'unseen',
  'appliedBeyondCheckpoint',
  'stateMismatch',
  'consumerOrderViolations',
] as const satisfies readonly (keyof ConsumerCounts)[]

/** Examples behind nonzero counts, for the failure message. */
export type Samples = Record<string, string[]>

const note = (samples: Samples, key: string, what: string) => {
  const list = (samples[key] ??= [])
  if (list.length < 5) list.push(what)
}

/**
 * Checks a dumped log against the history of operations that produced it.
 *
 * @example
 * ```ts
 * const { counts } = checkLog(history.list(), dump)
 * ```
 */
export function checkLog(ops: readonly OpRecord[], dump: Dump): { counts: LogCounts; samples: Samples } {
  const samples: Samples = {}
  const c: LogCounts = {
    ackedOps: 0,
    ackedEvents: 0,
    failedOps: 0,
    failedUntyped: 0,
    infoOps: 0,
    infoPresent: 0,
    infoAbsent: 0,
    lost: 0,
    failedButStored: 0,
    unexpected: 0,
    duplicates: 0,
    duplicateVersions: 0,
    torn: 0,
    positionGaps: 0,
    versionGaps: 0,
    orderViolations: 0,
    resultMismatch: 0,
  }
  const byId = new Map<string, DumpedEvent[]>()
  for (const e of dump.events) byId.set(e.id, [...(byId.get(e.id) ?? []), e])
  const invoked = new Set<string>()

  for (const { op, outcome } of ops) {
    const ids = op.entries.flatMap((en) => en.events.map((e) => e.id))
    for (const id of ids) invoked.add(id)
    const found = ids.map((id) => byId.get(id)?.[0])
    const present = found.filter((e) => e !== undefined).length
    if (outcome.status === 'ok') {
      c.ackedOps += 1
      c.ackedEvents += ids.length
      c.lost += ids.length - present
      if (present < ids.length) note(samples, 'lost', `${op.id}: ${ids.length - present} of ${ids.length}`)
      const last = found[found.length - 1]
      if (last !== undefined && (last.position !== outcome.position || last.version !== outcome.version)) {
        c.resultMismatch += 1
        note(
          samples,
          'resultMismatch',
          `${op.id}: acked ${outcome.position}/${outcome.version}, stored ${last.position}/${last.version}`,
        )
      }
    } else if (outcome.status === 'fail') {
      c.failedOps += 1
      if (!outcome.failure.typed) {
        c.failedUntyped += 1
        note(samples, 'failedUntyped', `${op.id}: ${outcome.failure.code} ${outcome.failure.message}`)
      }
      if (present > 0) {
        c.failedButStored += present
        note(samples, 'failedButStored', `${op.id} (${outcome.failure.code})`)
      }
    } else {
      c.infoOps += 1
      if (present === ids.length) c.infoPresent += 1
      if (present === 0) c.infoAbsent += 1
    }
    if (present > 0 && present < ids.length) {
      c.torn += 1
      note(samples, 'torn', `${op.id}: ${present} of ${ids.length} (${outcome.status})`)
    } else if (present === ids.length) {
      const positions = found.map((e) => (e as DumpedEvent).position)
      if (positions.some((p, i) => i > 0 && p !== (positions[i - 1] as number) + 1)) {
        c.torn += 1
        note(samples, 'torn', `${op.id}: not on consecutive positions`)
      }
    }
  }

  for (const [id, list] of byId) {
    if (list.length > 1) c.duplicates += list.length - 1
    if (!invoked.has(id)) {
      c.unexpected += 1
      note(samples, 'unexpected', id)
    }
  }
  const sorted = [...dump.events].sort((a, b) => a.position - b.position)
  sorted.forEach((e, i) => {
    if (e.position !== i + 1) c.positionGaps += 1
  })
  const versions = new Set<string>()
  const last = new Map<string, number>()
  for (const e of sorted) {
    const key = `${e.stream}\u0000${e.version}`
    if (versions.has(key)) c.duplicateVersions += 1
    versions.add(key)
    const prev = last.get(e.stream) ?? 0
    if (e.version <= prev) {
      c.orderViolations += 1
      note(samples, 'orderViolations', `${e.stream}: v${e.version} after v${prev} at ${e.position}`)
    } else if (e.version !== prev + 1) {
      c.versionGaps += 1
      note(samples, 'versionGaps', `${e.stream}: v${prev} then v${e.version}`)
    }
    last.set(e.stream, Math.max(prev, e.version))
  }
  return { counts: c, samples }
}

interface Totals {
  count: number
  sum: number
  lastVersion: number
  violations: number
}

/**
 * Checks consumer `name` (totals.consumer.ts state layout: `stream:<s>` totals and an
 * `applied:<id>` ledger written in the same transaction as the checkpoint).
 *
 * @example
 * ```ts
 * const { counts } = checkConsumer(dump, 'totals')
 * ```
 */
export function checkConsumer(dump: Dump, name: string): { counts: ConsumerCounts; samples: Samples } {
  const samples: Samples = {}
  const checkpoint = dump.checkpoints.find((cp) => cp.consumer === name)?.position ?? 0
  const state = new Map(dump.state.filter((r) => r.consumer === name).map((r) => [r.key, r.value]))
  const c: ConsumerCounts = {
    checkpoint,
    applied: 0,
    doubleApplied: 0,
    unseen: 0,
    appliedBeyondCheckpoint: 0,
    stateMismatch: 0,
    consumerOrderViolations: 0,
  }
  const positionOf = new Map(dump.events.map((e) => [e.id, e.position]))
  for (const [key, value] of state) {
    if (!key.startsWith('applied:')) continue
    const id = key.slice('applied:'.length)
    c.applied += 1
    if (typeof value !== 'number' || value !== 1) {
      c.doubleApplied += 1
      note(samples, 'doubleApplied', `${id}: ${String(value)}`)
    }
    const p = positionOf.get(id)
    if (p === undefined || p > checkpoint) {
      c.appliedBeyondCheckpoint += 1
      note(samples, 'appliedBeyondCheckpoint', `${id} at ${String(p)} > ${checkpoint}`)
    }
  }
  const fold = new Map<string, Totals>()
  for (const e of [...dump.events].sort((a, b) => a.position - b.position)) {
    if (e.position > checkpoint) break
    if (!state.has(`applied:${e.id}`)) {
      c.unseen += 1
      note(samples, 'unseen', `${e.id} at ${e.position}`)
    }
    const t = fold.get(e.stream) ?? { count: 0, sum: 0, lastVersion: 0, violations: 0 }
    const n = (e.data as { n?: unknown } | null)?.n
    fold.set(e.stream, {
      count: t.count + 1,
      sum: t.sum + (typeof n === 'number' ? n : 0),
      lastVersion: e.version,
      violations: t.violations + (e.version === t.lastVersion + 1 ? 0 : 1),
    })
  }
  const streams = new Set([
    ...fold.keys(),
    ...[...state.keys()].filter((k) => k.startsWith('stream:')).map((k) => k.slice(7)),
  ])
  for (const s of streams) {
    const got = state.get(`stream:${s}`) as Totals | undefined
    c.consumerOrderViolations += got?.violations ?? 0
    if (!isDeepStrictEqual(got, fold.get(s))) {
      c.stateMismatch += 1
      note(samples, 'stateMismatch', `${s}: state ${JSON.stringify(got)} fold ${JSON.stringify(fold.get(s))}`)
    }
  }
  return { counts: c, samples }
}

/** The names of `keys` whose count is not 0, with samples: empty when all is well. */
export function nonZero<T extends object>(counts: T, keys: readonly (keyof T)[], samples: Samples = {}): string[] {
  return keys
    .filter((k) => counts[k] !== 0)
    .map((k) => `${String(k)}=${String(counts[k])} ${JSON.stringify(samples[String(k)] ?? [])}`)
}
