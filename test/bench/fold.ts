/**
 * The projection the consumer cases fold the read log into, shared by the consumer module
 * (fold.consumer.ts) and the page, which checks the result: per stream, how many events and
 * the sum of qty x price, one state key per stream (`stream:<name>`), read and written
 * through `tx` for every event, as a naive projection does.
 *
 * The read log has 100 streams (read-log.ts appends 1,000 events per stream, in turn), so
 * the state has 100 keys and a batch of 500 touches one or two of them: the commit per batch
 * writes the checkpoint and one or two state rows, and the figure shows the runtime's own
 * cost (reading, tx.get and put per event, a commit per batch). A log whose consecutive
 * events hit hundreds of streams makes the commit write hundreds of rows per batch instead,
 * and IndexedDB writes (about 150 us a row here, see the raw append figures) then dominate.
 */
import type { RecordedEvent } from '@brook/core'
import type { ItemAdded } from './payload.ts'
import type { Reading } from './readings.ts'

/** Events per `handle` call, and per transaction (checkpoint and state together). */
export const CONSUMER_BATCH = 500

/** The consumer's name when its module URL names none. */
export const FOLD_CONSUMER = 'bench-fold'

export type FoldTotals = { count: number; sum: number }

export const foldKey = (e: RecordedEvent): string => `stream:${e.stream}`

export function foldValue(e: RecordedEvent): number {
  const data = e.data as ItemAdded
  return data.qty * data.priceCents
}

/** The same fold over the CEP case's readings (readings.ts): count and sum of `value`. */
export function readingValue(e: RecordedEvent): number {
  return (e.data as Reading).value
}
