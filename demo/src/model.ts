// The demo's events and read models, shared by the page and the workers that build them.
import { defineProjection } from '@brook/projections'

/** The one store of the demo: the browser is the database. */
export const STORE = 'brook-demo'

/** A device's reading, appended to the stream `device-<n>`. */
export interface Reading {
  value: number
  /** When the device measured it (event time, ms). */
  at: number
}

export type DemoEvents = { Reading: Reading }

/** Points kept per device for its chart (one per reading, averaged over `WINDOW`). */
export const CHART_POINTS = 60
const WINDOW = 10

export interface DeviceState {
  latest: number | null
  at: number
  count: number
  /** The last `WINDOW` values, for the moving average. */
  recent: number[]
  /** Moving averages, oldest first, at most `CHART_POINTS`. */
  averages: number[]
}

const round = (x: number) => Math.round(x * 100) / 100

/** Per device: its latest reading, how many it sent, and its moving average over time. */
export const devices = defineProjection<DeviceState, DemoEvents>({
  name: 'devices',
  version: 1,
  initial: { latest: null, at: 0, count: 0, recent: [], averages: [] },
  key: (e) => e.stream,
  on: {
    Reading(s, e) {
      const recent = [...s.recent, e.data.value].slice(-WINDOW)
      const average = round(recent.reduce((a, b) => a + b, 0) / recent.length)
      return {
        latest: e.data.value,
        at: e.data.at,
        count: s.count + 1,
        recent,
        averages: [...s.averages, average].slice(-CHART_POINTS),
      }
    },
  },
})

export interface FleetState {
  readings: number
  latest: Record<string, number>
}

/** The whole fleet in one state: what the replay slider rebuilds as of any position. */
export const fleet = defineProjection<FleetState, DemoEvents>({
  name: 'fleet',
  version: 1,
  initial: { readings: 0, latest: {} },
  snapshotEvery: 2000,
  on: {
    Reading: (s, e) => ({ readings: s.readings + 1, latest: { ...s.latest, [e.stream]: e.data.value } }),
  },
})

/** Where the CEP pipeline appends its alerts. */
export const ALERTS_STREAM = 'alerts'

/** The moving average above which a device raises an alert. */
export const THRESHOLD = 80

/** A `ThresholdCrossed` event: a device's moving average crossed `threshold`. */
export interface Alert {
  device: string
  average: number
  threshold: number
  direction: 'above' | 'below'
  at: number
}
