import { dequal } from 'dequal/lite'
import { BrookError } from './errors.ts'
import type { Position } from './position.ts'
import type { AppendResult, CommitResult, ExpectedVersion, RecordedEvent } from './types.ts'
import type { PreparedEntry, PreparedEvent } from './validation.ts'

/**
 * What a planner needs to know of the log: its head, the version of every stream the commit
 * touches (absent = 0) and the recorded events whose ids the caller supplied. A store fills
 * it from storage (inside the write transaction) or keeps it in memory.
 */
export interface LogState {
  head: number
  readonly versions: Map<string, number>
  readonly byId: Map<string, RecordedEvent>
}

/** How a commit turns out. */
export type Outcome =
  | { kind: 'write'; records: RecordedEvent[]; result: CommitResult }
  | { kind: 'replay'; result: CommitResult }
  | { kind: 'error'; error: BrookError }

/** The recorder's stamp for new events. */
export interface Stamp {
  time: number
  origin: string
}

/**
 * Decides one commit against the log: an idempotent replay, a typed error, or the records to
 * write. This is the only place where positions and versions are assigned (sync, where the
 * server assigns them, depends on it). On `write` it advances `state`, so several commits
 * can be planned in one transaction (group commit) and each sees the ones before it.
 *
 * @example
 * ```ts
 * const outcome = planCommit(state, prepareAppend('a', events, {}, max, uuidv7), { time, origin })
 * if (outcome.kind === 'write') await storage.add(outcome.records)
 * ```
 */
export function planCommit(state: LogState, entries: readonly PreparedEntry[], stamp: Stamp): Outcome {
  const replay = checkReplay(state, entries)
  if (replay !== undefined) return replay

  const versions = new Map<string, number>()
  const records: RecordedEvent[] = []
  const results: AppendResult[] = []
  let position = state.head
  for (const entry of entries) {
    const actual = versions.get(entry.stream) ?? state.versions.get(entry.stream) ?? 0
    if (!matches(entry.expected, actual)) {
      const error = BrookError.create(
        'CONCURRENCY',
        `stream ${entry.stream} is at version ${actual}, expected ${String(entry.expected)}`,
        { stream: entry.stream, expected: entry.expected, actual },
      )
      return { kind: 'error', error }
    }
    let version = actual
    const written = entry.events.map((event) => {
      position += 1
      version += 1
      return record(event, entry.stream, version, position as Position, stamp)
    })
    versions.set(entry.stream, version)
    records.push(...written)
    results.push({ position: position as Position, version, events: written })
  }

  state.head = position
  for (const [stream, version] of versions) state.versions.set(stream, version)
  for (const r of records) state.byId.set(r.id, r)
  return { kind: 'write', records, result: { position: position as Position, results } }
}

function matches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true
  if (expected === 'no-stream') return actual === 0
  if (expected === 'stream-exists') return actual > 0
  return expected === actual
}

function record(e: PreparedEvent, stream: string, version: number, position: Position, stamp: Stamp): RecordedEvent {
  return { id: e.id, stream, version, position, type: e.type, data: e.data, meta: e.meta, ...stamp }
}

/**
 * Idempotency by event id: if every event of the commit is already recorded with the same
 * stream and content, the commit is a no-op that returns the original result. If only some
 * are, or one differs, it is an `ID_CONFLICT`: a retry must resend exactly what it sent.
 */
function checkReplay(state: LogState, entries: readonly PreparedEntry[]): Outcome | undefined {
  let seen = 0
  let total = 0
  let firstKnown: { event: PreparedEvent; stream: string } | undefined
  for (const entry of entries) {
    for (const event of entry.events) {
      total += 1
      if (!event.idGiven) continue
      const known = state.byId.get(event.id)
      if (known === undefined) continue
      seen += 1
      firstKnown ??= { event, stream: entry.stream }
      const reason = differs(known, event, entry.stream)
      if (reason !== undefined) return conflict(event.id, entry.stream, reason)
    }
  }
  if (firstKnown === undefined) return undefined
  if (seen < total) {
    return conflict(
      firstKnown.event.id,
      firstKnown.stream,
      'already recorded, but other events of this commit are not: retry the original commit unchanged',
    )
  }
  const results = entries.map((entry) => {
    const events = entry.events.map((e) => state.byId.get(e.id) as RecordedEvent)
    const last = events.reduce((a, b) => (b.position > a.position ? b : a))
    return { position: last.position, version: last.version, events }
  })
  const position = results.reduce((max, r) => (r.position > max ? r.position : max), 0 as Position)
  return { kind: 'replay', result: { position, results } }
}

function differs(known: RecordedEvent, event: PreparedEvent, stream: string): string | undefined {
  if (known.stream !== stream) return `already recorded in stream ${known.stream}`
  if (known.type !== event.type) return `already recorded with type ${known.type}`
  if (!dequal(known.data, event.data)) return 'already recorded with other data'
  if (!dequal(known.meta, event.meta)) return 'already recorded with other meta'
  return undefined
}

function conflict(id: string, stream: string, reason: string): Outcome {
  return { kind: 'error', error: BrookError.create('ID_CONFLICT', `event ${id}: ${reason}`, { id, stream, reason }) }
}
