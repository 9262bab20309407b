/**
 * The CEP case's log (cep.ts): readings from {@link DEVICES} devices, each on its own stream
 * `device-<n>`, one reading per device every {@link READING_PERIOD_MS} ms of event time, the
 * devices interleaved in arrival order (as a live feed is written). Each reading's event time
 * (`data.at`) is its arrival slot plus up to {@link JITTER_MS} ms, so times run a little out
 * of order, within a device too, but never by more than the pipeline's `outOfOrder`: no
 * reading is late. Values are whole numbers, so sums are exact in any order.
 *
 * Shared by the page (fill and checks) and the worker modules (the plain fold over this log
 * in fold.consumer.ts, the pipeline in cep.consumer.ts); it imports no package, so the fold
 * worker loads no more than before.
 */
import type { RecordedEvent } from '@brook/core'

export const READING_TYPE = 'Reading'
export const DEVICES = 1000
/** Each device reads once per second of event time: a 60 s window holds about 60 readings. */
export const READING_PERIOD_MS = 1000
export const JITTER_MS = 1500
export const WINDOW_MS = 60_000
/** The pipeline's bound on disorder; above {@link JITTER_MS}, so nothing is late. */
export const OUT_OF_ORDER_MS = 2000

export interface Reading {
  at: number
  value: number
}

export type ReadingEvent = RecordedEvent<typeof READING_TYPE, Reading>

const T0 = Date.UTC(2026, 0, 1)

export const deviceStream = (device: number) => `device-${device}`

/** Reading `i` of the log (0-based, in arrival order): device `i % DEVICES`. */
export function makeReading(i: number): { stream: string; data: Reading } {
  const device = i % DEVICES
  const round = Math.floor(i / DEVICES)
  const slot = T0 + round * READING_PERIOD_MS + Math.floor((device * READING_PERIOD_MS) / DEVICES)
  const h = hash(i)
  // A device's level (20..69) plus noise (0..20).
  return {
    stream: deviceStream(device),
    data: { at: slot + (h % JITTER_MS), value: 20 + (device % 50) + ((h >>> 11) % 21) },
  }
}

function hash(i: number): number {
  let x = Math.imul(i + 1, 0x9e3779b1) || 1
  x ^= x << 13
  x ^= x >>> 17
  x ^= x << 5
  return x >>> 0
}

/** What processing readings 0 to `count` - 1 in order must give. */
export interface ReadingTotals {
  count: number
  sum: number
  /** Readings the pipeline must refuse as late (the watermark had passed their time). */
  late: number
  /** Windows fired by the end: one per distinct (device, time) the final watermark passed... */
  fired: number
  /** ...and those of them averaging {@link ALERT_AVERAGE} or more. */
  alerts: number
  /** The greatest event time: the pipeline's `g.max` at the end. */
  max: number
}

/**
 * Replays the log as the pipeline sees it (watermark, windows, averages), without it: one
 * window `(t - size, t]` per distinct time `t` of a device, fired once the watermark passed `t`.
 */
export function readingTotals(count: number): ReadingTotals {
  let sum = 0
  let late = 0
  let max = Number.NEGATIVE_INFINITY
  const byDevice = new Map<string, Reading[]>()
  for (let i = 0; i < count; i++) {
    const { stream, data } = makeReading(i)
    sum += data.value
    // Sliding windows, no allowed lateness: late when the watermark is past the event's time.
    if (max - OUT_OF_ORDER_MS > data.at) {
      late += 1
      continue
    }
    let list = byDevice.get(stream)
    if (list === undefined) byDevice.set(stream, (list = []))
    list.push(data)
    if (data.at > max) max = data.at
  }
  const watermark = max - OUT_OF_ORDER_MS
  let fired = 0
  let alerts = 0
  for (const list of byDevice.values()) {
    // Stable: equal times keep arrival order, as the operator adds them up.
    list.sort((x, y) => x.at - y.at)
    let from = 0
    let windowSum = 0
    for (let i = 0; i < list.length; i++) {
      const t = (list[i] as Reading).at
      windowSum += (list[i] as Reading).value
      while ((list[from] as Reading).at <= t - WINDOW_MS) windowSum -= (list[from++] as Reading).value
      if (list[i + 1]?.at === t || !(watermark > t)) continue
      fired += 1
      if (windowSum / (i + 1 - from) >= ALERT_AVERAGE) alerts += 1
    }
  }
  return { count, sum, late, fired, alerts, max }
}

/**
 * Events per `handle` call and transaction, for both consumers of this log. The devices are
 * interleaved, so a batch of B readings touches min(B, 1,000) keys and writes a state row for
 * each: at the read log's 500 every reading writes a row (of about 1.2 KB for the pipeline),
 * and IndexedDB writes are nearly all the time. At 5,000 each key takes 5 readings a batch.
 */
export const CEP_BATCH = 5000

/** The emitting variant appends an alert for each window whose average is at least this. */
export const ALERT_AVERAGE = 78
