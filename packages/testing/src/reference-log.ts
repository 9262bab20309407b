import { dequal } from 'dequal'
import type { CommitEntry, ExpectedVersion } from '@brook/core'

/** What the reference log keeps of an event: enough to compare with a real store. */
export interface ModelEvent {
  id: string
  stream: string
  version: number
  position: number
  type: string
  data: unknown
  meta: Record<string, unknown>
}

/** The outcome of one commit, in a form two stores can be compared by. */
export type ModelOutcome =
  | { ok: true; position: number; results: { position: number; version: number; ids: string[] }[] }
  | { ok: false; code: string; expected?: ExpectedVersion; actual?: number }

/**
 * The simplest possible event log, written without any of the store's code, as the oracle
 * for property tests: commits apply one after another, in call order. Every event must
 * carry an id.
 *
 * @example
 * ```ts
 * const model = createReferenceLog()
 * model.commit([{ stream: 'a', events: [{ id: 'e1', type: 'T', data: 1 }] }])
 * model.events.length // 1
 * ```
 */
export function createReferenceLog() {
  const events: ModelEvent[] = []
  const versionOf = (stream: string) => events.filter((e) => e.stream === stream).length

  function commit(entries: readonly CommitEntry[]): ModelOutcome {
    const sent = entries.flatMap((entry) => entry.events.map((event) => ({ entry, event })))
    const known = sent.filter(({ event }) => events.some((e) => e.id === event.id))
    if (known.length > 0) {
      if (known.length !== sent.length) return { ok: false, code: 'ID_CONFLICT' }
      for (const { entry, event } of sent) {
        const e = events.find((x) => x.id === event.id) as ModelEvent
        const same =
          e.stream === entry.stream &&
          e.type === event.type &&
          dequal(e.data, event.data) &&
          dequal(e.meta, event.meta ?? {})
        if (!same) return { ok: false, code: 'ID_CONFLICT' }
      }
      const results = entries.map((entry) => {
        const recorded = entry.events.map((event) => events.find((x) => x.id === event.id) as ModelEvent)
        const last = recorded.reduce((a, b) => (b.position > a.position ? b : a))
        return { position: last.position, version: last.version, ids: recorded.map((e) => e.id) }
      })
      return { ok: true, position: Math.max(...results.map((r) => r.position)), results }
    }

    const added: ModelEvent[] = []
    const results = []
    for (const entry of entries) {
      const actual = versionOf(entry.stream) + added.filter((e) => e.stream === entry.stream).length
      const expected = entry.expectedVersion ?? 'any'
      const fine =
        expected === 'any' ||
        (expected === 'no-stream' && actual === 0) ||
        (expected === 'stream-exists' && actual > 0) ||
        expected === actual
      if (!fine) return { ok: false, code: 'CONCURRENCY', expected, actual }
      const ids = entry.events.map((event, i) => {
        added.push({
          id: event.id as string,
          stream: entry.stream,
          version: actual + i + 1,
          position: events.length + added.length + 1,
          type: event.type,
          data: event.data,
          meta: event.meta ?? {},
        })
        return event.id as string
      })
      results.push({ position: events.length + added.length, version: actual + ids.length, ids })
    }
    events.push(...added)
    return { ok: true, position: events.length, results }
  }

  return { events, commit, versionOf }
}
