/**
 * The CEP case: a sliding-window average per device (readings.ts) over a log of readings
 * from 1,000 devices, beside the plain fold consumer over the same log, both started and
 * timed as consumers.ts times the consumer catch-up (startConsumer until onProgress reports
 * the checkpoint at the log's last reading), from an empty checkpoint and state:
 * - `plain`: fold.consumer.ts (`fold=reading`): per device, count and sum of the values,
 *   tx.get and tx.put for every event. The baseline.
 * - `cep`: cep.consumer.ts, emitting nothing: every window's average is computed, and the
 *   per-device windows and the watermark are kept in state, but no event is appended.
 * - `cep-emit`: the same, appending an alert for each window averaging 78 or more (about
 *   3 % of the windows) in the batch's transaction; checked against a replay of the log
 *   (readings.ts). These events land in the readings log after its readings, so `plain` and
 *   `cep` must not run after it (they would fold or read them), and a second `cep-emit` run
 *   reads the first one's after the head it is timed to (untimed, until it is stopped).
 *
 * All in batches of CEP_BATCH (readings.ts); see there why not the read log's 500.
 *
 * After each run, with the consumer stopped, its state rows are read back with raw
 * IndexedDB: the memory its open windows hold is their size as JSON.
 */
import { utf8Length } from '@brook/core'
import { StateKeys } from '@brook/cep'
import { brookName, openBrook } from './brook-store.ts'
import type { CepCaseKey, CepMeasurement, WindowState } from './cases.ts'
import { catchUp, foldCheck, workerUrl, type CatchUpWorker, type StateFigures, type StateRow } from './consumers.ts'
import { committed, openExisting, request } from './idb-request.ts'
import { DEVICES, makeReading, READING_TYPE, readingTotals, type ReadingTotals } from './readings.ts'

/** Readings per commit while filling (relaxed: the fill is not measured). */
const FILL_BATCH = 2000

/** The consumers' names (their checkpoints and `consumerState` rows). */
export const CEP_CONSUMERS: Record<CepCaseKey, string> = {
  plain: 'bench-readings-fold',
  cep: 'bench-cep',
  'cep-emit': 'bench-cep-emit',
}

/**
 * Fills a log with `count` readings, in arrival order: each commit holds consecutive
 * readings, one entry per reading (each of another device).
 */
export async function prefillReadings(name: string, count: number): Promise<void> {
  const store = await openBrook(name, 'relaxed')
  try {
    for (let i = 0; i < count; i += FILL_BATCH) {
      const entries = []
      for (let j = i; j < Math.min(count, i + FILL_BATCH); j++) {
        const { stream, data } = makeReading(j)
        entries.push({ stream, events: [{ type: READING_TYPE, data }] })
      }
      await store.commit(entries)
    }
  } finally {
    await store.close()
  }
}

let totals: ReadingTotals | undefined
const totalsOf = (head: number) => (totals?.count === head ? totals : (totals = readingTotals(head)))

/** One run of a case over a readings log of `events` readings (nothing else before them). */
export async function cepCatchUp(store: string, events: number, key: CepCaseKey): Promise<CepMeasurement> {
  const consumer = CEP_CONSUMERS[key]
  const want = totalsOf(events)
  if (key === 'plain') {
    const worker: CatchUpWorker = {
      id: consumer,
      url: workerUrl('./fold.consumer.ts', { name: consumer, fold: 'reading' }),
      options: { store },
      check: foldCheck(consumer, 'stream:', want),
    }
    const run = await catchUp(store, events, [worker])
    return { ...(run.consumers[0] as CepMeasurement), key, emitted: 0 }
  }
  const emit = key === 'cep-emit'
  const worker: CatchUpWorker<CepState> = {
    id: consumer,
    url: workerUrl('./cep.consumer.ts', { name: consumer, emit: emit ? 'alerts' : 'none' }),
    options: { store },
    check: cepCheck(consumer, want, emit),
  }
  const before = await countEvents(store)
  if (before < events || (!emit && before !== events)) {
    throw new Error(`${key}: the log has ${before} events, not the ${events} readings alone`)
  }
  const run = await catchUp(store, events, [worker])
  const emitted = (await countEvents(store)) - before
  if (emitted !== (emit ? want.alerts : 0)) {
    throw new Error(`${key}: appended ${emitted} events, not ${emit ? want.alerts : 0}`)
  }
  return { ...(run.consumers[0] as CepMeasurement), key, emitted }
}

type CepState = StateFigures & { window: WindowState }

interface SlidingRow {
  t: number[]
  a: unknown[]
  p: unknown[]
  r: unknown[]
}

/**
 * The pipeline must have taken every reading (checkpoint at the head; past it once it
 * appended), refused exactly the late ones, seen the greatest event time, and hold a window
 * state for every device (each read within the last window); nothing else. Sizes are the
 * rows' values as UTF-8 JSON, the keys left out.
 */
const cepCheck =
  (consumer: string, want: ReadingTotals, emit: boolean) =>
  (checkpoint: number | undefined, rows: readonly StateRow[], head: number): CepState => {
    const bytes = (v: unknown) => utf8Length(JSON.stringify(v))
    const global = rows.find((r) => r.key === StateKeys.global)?.value as { max: number; at: unknown[] } | undefined
    const late = (rows.find((r) => r.key === StateKeys.late)?.value as { count: number } | undefined)?.count ?? 0
    const keyed = rows.filter((r) => r.key.startsWith(StateKeys.key('')))
    const unexpected = rows
      .map((r) => r.key)
      .filter((k) => k !== StateKeys.global && k !== StateKeys.late && !k.startsWith(StateKeys.key('')))
    const reached = checkpoint !== undefined && (emit ? checkpoint >= head : checkpoint === head)
    if (
      !reached ||
      global === undefined ||
      global.max !== want.max ||
      late !== want.late ||
      keyed.length !== DEVICES ||
      unexpected.length > 0
    ) {
      throw new Error(
        `consumer ${consumer}: checkpoint ${checkpoint} (log of ${head} readings), max time ${global?.max} ` +
          `(want ${want.max}), late ${late} (want ${want.late}), ${keyed.length} keys (want ${DEVICES})` +
          `${unexpected.length > 0 ? `, ${unexpected.length} unexpected keys (${unexpected.slice(0, 3).join(', ')}…)` : ''}`,
      )
    }
    const windows = keyed.map((r) => r.value as SlidingRow)
    return {
      stateKeys: keyed.length,
      window: {
        bytes: rows.reduce((n, r) => n + bytes(r.value), 0),
        keyBytes: keyed.reduce((n, r) => n + bytes(r.value), 0),
        globalBytes: bytes(global),
        keys: keyed.length,
        timers: global.at.length,
        items: windows.reduce((n, w) => n + w.t.length, 0),
        pending: windows.reduce((n, w) => n + w.p.length / 3, 0),
      },
    }
  }

/** Rows in the log's `events` store: the readings, plus whatever the emitting runs appended. */
async function countEvents(store: string): Promise<number> {
  const db = await openExisting(brookName(store))
  try {
    const tx = db.transaction('events', 'readonly')
    const done = committed(tx)
    const n = await request(tx.objectStore('events').count())
    await done
    return n
  } finally {
    db.close()
  }
}
