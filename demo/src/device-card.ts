import { css, html, LitElement } from 'lit'
import type { EventStore } from '@brook/core'
import { ProjectionController } from '@brook/lit'
import { devices, type DeviceState } from './model.ts'
import { sparkline } from './sparkline.ts'

/** One device: its latest reading and a live chart of its moving average. */
export class DeviceCard extends LitElement {
  static override properties = { device: { type: String }, threshold: { type: Number } }
  declare device: string
  declare threshold: number
  store: EventStore | undefined
  #state: ProjectionController<DeviceState> | undefined

  constructor() {
    super()
    this.device = ''
    this.threshold = 80
  }

  override connectedCallback(): void {
    this.#state ??= new ProjectionController(this, this.store, devices, { key: this.device })
    super.connectedCallback()
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('device') && this.#state !== undefined) this.#state.key = this.device
  }

  override render() {
    const s = this.#state?.value
    const average = s?.averages[s.averages.length - 1]
    const hot = average !== undefined && average > this.threshold
    return html`
      <article class=${hot ? 'hot' : ''} aria-label=${`Device ${this.device}`}>
        <header>
          <h3>${this.device}</h3>
          <span class="count" title="readings">${s?.count ?? 0}</span>
        </header>
        <p class="value"><strong>${s?.latest ?? '–'}</strong> <small>avg ${average ?? '–'}</small></p>
        <svg
          viewBox="0 0 160 40"
          preserveAspectRatio="none"
          role="img"
          aria-label=${`Moving average of ${this.device}`}
        >
          ${sparkline(s?.averages ?? [], 160, 40, this.threshold)}
        </svg>
      </article>
    `
  }

  static override styles = css`
    article {
      border: 1px solid var(--line, #8884);
      border-radius: 0.5rem;
      padding: 0.5rem 0.75rem;
      background: var(--card, transparent);
    }
    article.hot {
      border-color: #d33;
      box-shadow: 0 0 0 1px #d33 inset;
    }
    header {
      display: flex;
      justify-content: space-between;
      align-items: baseline;
    }
    h3 {
      margin: 0;
      font-size: 0.95rem;
    }
    .count {
      font-size: 0.75rem;
      opacity: 0.7;
    }
    .value {
      margin: 0.25rem 0;
      font-variant-numeric: tabular-nums;
    }
    svg {
      width: 100%;
      height: 40px;
      display: block;
    }
    .line {
      fill: none;
      stroke: var(--accent, #2a7ae2);
      stroke-width: 1.5;
    }
    .threshold {
      stroke: #d33;
      stroke-dasharray: 3 3;
      stroke-width: 1;
    }
  `
}
customElements.define('device-card', DeviceCard)
