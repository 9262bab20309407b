import { css, html, LitElement, nothing } from 'lit'
import * as Comlink from 'comlink'
import { isBrookError, type EventStore } from '@brook/core'
import { ProjectionController } from '@brook/lit'
import '@brook/lit'
import { openProjection, type ProjectionView } from '@brook/projections'
import type { ConsumerHandle } from '@brook/worker'
import './device-card.ts'
import './replay-panel.ts'
import './storage-panel.ts'
import './alerts-panel.ts'
import { devices, fleet, type DeviceState, type FleetState } from './model.ts'
import { startConsumers, type Role } from './consumers.ts'
import type { Telemetry } from './telemetry.worker.ts'

/**
 * The IoT control room: simulated devices append readings; consumers in workers (one
 * instance across all tabs) fold them into read models and raise alerts; every tab shows
 * them live.
 */
export class DemoApp extends LitElement {
  static override properties = {
    store: { attribute: false },
    fatal: { state: true },
    deviceIds: { state: true },
    role: { state: true },
    online: { state: true },
    offlineReady: { state: true },
    rate: { state: true },
    deviceCount: { state: true },
    problem: { state: true },
    inspector: { state: true },
    head: { state: true },
  }

  declare store: EventStore | undefined
  declare fatal: string
  declare deviceIds: string[]
  declare role: Role
  declare online: boolean
  declare offlineReady: boolean
  declare rate: number
  declare deviceCount: number
  declare problem: string
  declare inspector: boolean
  declare head: number

  consumers: Record<string, ConsumerHandle> = {}
  #fleet: ProjectionController<FleetState> | undefined
  #devicesView: ProjectionView<DeviceState> | undefined
  #telemetry: Comlink.Remote<Telemetry> | undefined
  #timer: ReturnType<typeof setInterval> | undefined
  #cleanups: (() => void)[] = []

  constructor() {
    super()
    this.fatal = ''
    this.deviceIds = []
    this.role = 'starting'
    this.online = navigator.onLine
    this.offlineReady = false
    this.rate = 0
    this.deviceCount = 8
    this.problem = ''
    this.inspector = false
    this.head = 0
  }

  override connectedCallback(): void {
    super.connectedCallback()
    const onLine = () => (this.online = navigator.onLine)
    addEventListener('online', onLine)
    addEventListener('offline', onLine)
    this.#cleanups.push(() => {
      removeEventListener('online', onLine)
      removeEventListener('offline', onLine)
    })
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    for (const c of this.#cleanups.splice(0)) c()
    clearInterval(this.#timer)
    this.#devicesView?.close()
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('store') && this.store !== undefined) void this.#start(this.store)
    const readings = this.#fleet?.value?.readings
    if (readings !== undefined) document.body.dataset.readings = String(readings)
  }

  /** Starts the consumers (standby if another tab runs them) and the live device list. */
  async #start(store: EventStore): Promise<void> {
    // Added to a connected host, the controller connects at once.
    this.#fleet = new ProjectionController<FleetState>(this, store, fleet)
    try {
      this.consumers = await startConsumers((role) => {
        this.role = role
        document.body.dataset.role = role
      })
      this.#devicesView = await openProjection(store, devices)
    } catch (err) {
      this.fatal = isBrookError(err) ? `${err.code}: ${err.message}` : String(err)
      return
    }
    const refresh = async () => {
      this.head = await store.head()
      const rows = await this.#devicesView?.list({ limit: 200 })
      const ids = (rows ?? []).map((r) => r.key).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      if (ids.join() !== this.deviceIds.join()) this.deviceIds = ids
    }
    await refresh()
    this.#timer = setInterval(() => void refresh().catch(() => {}), 1000)
    document.body.dataset.ready = 'true'
  }

  async #setRate(rate: number, deviceCount: number): Promise<void> {
    this.rate = rate
    this.deviceCount = deviceCount
    this.#telemetry ??= Comlink.wrap<Telemetry>(
      new Worker(new URL('./telemetry.worker.ts', import.meta.url), { type: 'module' }),
    )
    await this.#telemetry.set(rate, deviceCount)
    document.body.dataset.rate = String(rate)
  }

  override render() {
    if (this.fatal !== '') return html`<p role="alert">Could not start: ${this.fatal}</p>`
    const store = this.store
    const fleetState = this.#fleet?.value
    return html`
      <header>
        <h1>Brook control room</h1>
        <p class="badges">
          <span class="badge role-${this.role}" data-testid="role">${roleText(this.role)}</span>
          <span class="badge" data-testid="network"
            >${this.online ? 'online' : 'offline'}${this.offlineReady ? ' · works offline' : ''}</span
          >
        </p>
        <button class="inspect" aria-pressed=${this.inspector} @click=${() => (this.inspector = !this.inspector)}>
          ${this.inspector ? 'Hide' : 'Show'} inspector
        </button>
      </header>
      <main>
        <section class="controls" aria-label="Telemetry">
          <h2>Telemetry</h2>
          <form
            @submit=${(e: Event) => {
              e.preventDefault()
              const data = new FormData(e.target as HTMLFormElement)
              void this.#setRate(Number(data.get('rate')), Number(data.get('devices')))
            }}
          >
            <label
              >Readings/s
              <input name="rate" type="number" min="0" max="5000" step="1" .value=${String(this.rate || 100)} />
            </label>
            <label
              >Device count <input name="devices" type="number" min="1" max="1000" .value=${String(this.deviceCount)}
            /></label>
            <button type="submit">Simulate</button>
            <button type="button" @click=${() => void this.#setRate(0, this.deviceCount)} ?disabled=${this.rate === 0}>
              Stop
            </button>
          </form>
          <p>
            Readings folded: <strong data-testid="readings">${fleetState?.readings ?? 0}</strong> · log head
            <strong data-testid="head">${this.head}</strong> · simulating <strong>${this.rate}</strong>/s from this tab
          </p>
        </section>
        <section class="devices" aria-label="Devices">
          ${
            this.deviceIds.length === 0
              ? html`<p class="empty">No devices yet: press Simulate.</p>`
              : this.deviceIds.map((id) => html`<device-card .store=${store} device=${id}></device-card>`)
          }
        </section>
        <alerts-panel .store=${store}></alerts-panel>
        <replay-panel .store=${store} .head=${this.head}></replay-panel>
        <storage-panel .store=${store} .consumers=${this.consumers}></storage-panel>
      </main>
      ${
        this.inspector
          ? html`<aside aria-label="Inspector">
              <brook-inspector .store=${store} .consumers=${this.consumers}></brook-inspector>
            </aside>`
          : nothing
      }
    `
  }

  static override styles = css`
    :host {
      display: grid;
      grid-template-columns: 1fr auto;
      gap: 1rem;
    }
    header {
      grid-column: 1 / -1;
      display: flex;
      flex-wrap: wrap;
      gap: 1rem;
      align-items: center;
    }
    h1 {
      margin: 0;
      font-size: 1.4rem;
    }
    .badges {
      display: flex;
      gap: 0.5rem;
      margin: 0;
    }
    .badge {
      border: 1px solid #8886;
      border-radius: 1rem;
      padding: 0.1rem 0.6rem;
      font-size: 0.85rem;
    }
    .role-leading {
      border-color: #2a7ae2;
    }
    .inspect {
      margin-inline-start: auto;
    }
    main {
      display: grid;
      gap: 1rem;
      min-width: 0;
    }
    .devices {
      display: grid;
      gap: 0.75rem;
      grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
    }
    form {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: end;
    }
    label {
      display: grid;
      gap: 0.2rem;
    }
    input,
    button {
      font: inherit;
      padding: 0.3rem 0.5rem;
    }
    aside {
      width: min(40rem, 45vw);
      height: calc(100vh - 6rem);
      position: sticky;
      top: 1rem;
    }
    brook-inspector {
      height: 100%;
    }
    h2 {
      font-size: 1.05rem;
      margin: 0 0 0.5rem;
    }
  `
}

function roleText(role: Role): string {
  if (role === 'leading') return 'this tab runs the consumers'
  if (role === 'standby') return 'standby: another tab runs the consumers'
  if (role === 'failed') return 'consumers failed'
  return 'starting…'
}
