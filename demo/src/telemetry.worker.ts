// Simulated devices: appends readings to `device-<n>` streams at the rate the page asks,
// off the main thread. Each tick is one atomic commit across the devices it touches.
import * as Comlink from 'comlink'
import { openEventStore } from '@brook/idb'
import type { CommitEntry } from '@brook/core'
import { STORE, type Reading } from './model.ts'

export interface Telemetry {
  /** Readings per second over `devices` devices (0 stops). */
  set(rate: number, devices: number): void
  /** Readings appended so far, and failures. */
  stats(): { appended: number; failed: number; lastError: string }
}

const TICK_MS = 100
const storeReady = openEventStore(STORE)
let rate = 0
let deviceCount = 8
let appended = 0
let failed = 0
let lastError = ''
let owed = 0
const level = new Map<string, number>()

// A random walk per device with rare spikes, so thresholds get crossed now and then.
function next(device: string): number {
  const base = level.get(device) ?? 40 + Math.random() * 20
  const step = (Math.random() - 0.5) * 4 + (Math.random() < 0.01 ? 30 : 0)
  const value = Math.min(120, Math.max(0, base + step - (base - 50) * 0.05))
  level.set(device, value)
  return Math.round(value * 10) / 10
}

let last = performance.now()

async function tick(): Promise<void> {
  // Owed by the time elapsed, not per tick: a slow commit must not lower the rate.
  const now = performance.now()
  owed += (rate * (now - last)) / 1000
  last = now
  const count = Math.floor(owed)
  owed -= count
  if (count === 0) return
  const byDevice = new Map<string, Reading[]>()
  const at = Date.now()
  for (let i = 0; i < count; i++) {
    const device = `device-${((appended + i) % deviceCount) + 1}`
    byDevice.set(device, [...(byDevice.get(device) ?? []), { value: next(device), at }])
  }
  const entries: CommitEntry[] = [...byDevice].map(([stream, readings]) => ({
    stream,
    events: readings.map((data) => ({ type: 'Reading', data })),
  }))
  try {
    await (await storeReady).commit(entries)
    appended += count
  } catch (err) {
    failed += count
    lastError = err instanceof Error ? err.message : String(err)
  }
}

// Ticks never overlap: a slow commit delays the next one, and the debt is paid then.
async function loop(): Promise<void> {
  for (;;) {
    const started = performance.now()
    await tick()
    await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (performance.now() - started))))
  }
}
void loop()

Comlink.expose({
  set(r: number, devices: number) {
    rate = Math.max(0, Math.min(5000, r))
    deviceCount = Math.max(1, Math.min(1000, Math.floor(devices)))
    if (rate === 0) owed = 0
    last = performance.now()
  },
  stats: () => ({ appended, failed, lastError }),
} satisfies Telemetry)
