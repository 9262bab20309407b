import { startConsumer, type ConsumerHandle, type ConsumerStatus } from '@brook/worker'
// `?worker&url`: Vite bundles each worker module and gives its URL (a bare
// `new URL('./x.ts', import.meta.url)` would ship the TypeScript file as an asset).
import alertsUrl from './alerts.pipeline.ts?worker&url'
import devicesUrl from './devices.projection.ts?worker&url'
import fleetUrl from './fleet.projection.ts?worker&url'

/** What this tab does for the consumers: runs them, or stands by while another tab does. */
export type Role = 'starting' | 'leading' | 'standby' | 'failed'

/**
 * Starts the demo's consumers in this tab. Every tab does: one instance of each runs across
 * all of them (Web Locks), the others stand by and take over when its tab goes away.
 * `onRole` hears whether this tab is the one running them.
 *
 * @example
 * ```ts
 * const consumers = await startConsumers((role) => console.log(role))
 * ```
 */
export async function startConsumers(onRole: (role: Role) => void): Promise<Record<string, ConsumerHandle>> {
  const states = new Map<string, ConsumerStatus['state']>()
  let role: Role = 'starting'
  const track = (s: ConsumerStatus) => {
    states.set(s.name, s.state)
    const all = [...states.values()]
    const next: Role = all.includes('failed')
      ? 'failed'
      : all.some((x) => x === 'running' || x === 'paused')
        ? 'leading'
        : all.every((x) => x === 'standby')
          ? 'standby'
          : 'starting'
    if (next !== role) onRole((role = next))
  }
  const start = (url: string) => startConsumer(new URL(url, location.href), { onProgress: track })
  const [devices, fleet, alerts] = await Promise.all([start(devicesUrl), start(fleetUrl), start(alertsUrl)])
  return { devices, fleet, alerts }
}
