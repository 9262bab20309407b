import { css, html, LitElement } from 'lit'
import type { EventStore, RecordedEvent } from '@brook/core'
import { ALERTS_STREAM, type Alert } from './model.ts'

const SHOWN = 12

/** The latest alerts the CEP pipeline raised, live: the `alerts` stream, newest first. */
export class AlertsPanel extends LitElement {
  static override properties = { store: { attribute: false }, alerts: { state: true }, total: { state: true } }
  declare store: EventStore | undefined
  declare alerts: RecordedEvent<'ThresholdCrossed', Alert>[]
  declare total: number
  #stop: (() => Promise<void>) | undefined
  #following: EventStore | undefined

  constructor() {
    super()
    this.alerts = []
    this.total = 0
  }

  protected override updated(): void {
    if (this.store !== this.#following && this.isConnected) void this.#follow()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    void this.#stop?.()
    this.#stop = undefined
    this.#following = undefined
  }

  // Reads only the alerts stream (an index range), twice a second: a subscription would
  // read every reading on the main thread just to skip it.
  async #follow(): Promise<void> {
    const store = this.store
    this.#following = store
    await this.#stop?.()
    if (store === undefined) return
    let version = 0
    let stopped = false
    const poll = async () => {
      const fresh: RecordedEvent<'ThresholdCrossed', Alert>[] = []
      for await (const e of store.readStream(ALERTS_STREAM, { fromVersion: version + 1 })) {
        fresh.push(e as RecordedEvent<'ThresholdCrossed', Alert>)
      }
      if (stopped || fresh.length === 0) return
      version = fresh[fresh.length - 1]?.version ?? version
      this.total = version
      this.alerts = [...fresh.reverse(), ...this.alerts].slice(0, SHOWN)
    }
    const timer = setInterval(() => void poll().catch(() => {}), 500)
    this.#stop = () => {
      stopped = true
      clearInterval(timer)
      return Promise.resolve()
    }
    await poll()
  }

  override render() {
    return html`
      <section aria-label="Alerts">
        <h2>Alerts <small>(${this.total})</small></h2>
        ${
          this.alerts.length === 0
            ? html`<p class="empty">
                No alert yet. An alert fires when a device's moving average crosses the threshold.
              </p>`
            : html`<ol>
                ${this.alerts.map(
                  (e) =>
                    html`<li class=${e.data.direction}>
                      <time>${new Date(e.data.at).toLocaleTimeString()}</time> <strong>${e.data.device}</strong>
                      ${e.data.direction === 'above' ? 'rose above' : 'fell below'} ${e.data.threshold} (avg
                      ${e.data.average})
                    </li>`,
                )}
              </ol>`
        }
      </section>
    `
  }

  static override styles = css`
    h2 {
      font-size: 1.05rem;
      margin: 0 0 0.5rem;
    }
    ol {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 0.25rem;
      font-variant-numeric: tabular-nums;
    }
    li.above {
      color: #d33;
    }
    time {
      opacity: 0.7;
    }
  `
}
customElements.define('alerts-panel', AlertsPanel)
