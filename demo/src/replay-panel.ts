import { css, html, LitElement } from 'lit'
import type { EventStore } from '@brook/core'
import { acquireView } from '@brook/lit'
import { fleet, type FleetState } from './model.ts'

/**
 * Time travel: rebuilds the `fleet` read model as of any log position, from its nearest
 * snapshot and the log. Nothing is written; the live model is untouched.
 */
export class ReplayPanel extends LitElement {
  static override properties = {
    store: { attribute: false },
    head: { type: Number },
    position: { state: true },
    state: { state: true },
    busy: { state: true },
  }
  declare store: EventStore | undefined
  declare head: number
  declare position: number
  declare state: FleetState | undefined
  declare busy: boolean
  #request = 0

  constructor() {
    super()
    this.head = 0
    this.position = 0
    this.busy = false
  }

  async #replay(position: number): Promise<void> {
    const store = this.store
    if (store === undefined) return
    this.position = position
    const request = ++this.#request
    this.busy = true
    const { view, release } = acquireView(store, fleet)
    try {
      const states = await (await view).at(position)
      if (request !== this.#request) return // a later move of the slider wins
      this.state = states.get('') ?? fleet.initial
      document.body.dataset.replayed = `${position}:${this.state.readings}`
    } finally {
      release()
      if (request === this.#request) this.busy = false
    }
  }

  override render() {
    const devices = Object.entries(this.state?.latest ?? {}).sort(([a], [b]) =>
      a.localeCompare(b, 'en', { numeric: true }),
    )
    return html`
      <section aria-label="Replay">
        <h2>Replay</h2>
        <label
          >Position <output>${this.position}</output> of ${this.head}
          <input
            type="range"
            min="0"
            max=${this.head}
            .value=${String(this.position)}
            aria-label="Log position to replay to"
            @change=${(e: Event) => void this.#replay(Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <p aria-live="polite">
          ${
            this.state === undefined
              ? 'Move the slider to rebuild the fleet as of that position.'
              : html`As of position ${this.position}:
                  <strong data-testid="replayed">${this.state.readings}</strong>
                  readings${this.busy ? ' (rebuilding…)' : ''}`
          }
        </p>
        ${
          devices.length === 0
            ? ''
            : html`<table>
                <thead>
                  <tr>
                    <th>device</th>
                    <th>value then</th>
                  </tr>
                </thead>
                <tbody>
                  ${devices.map(
                    ([d, v]) =>
                      html`<tr>
                        <td>${d}</td>
                        <td>${v}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>
    `
  }

  static override styles = css`
    h2 {
      font-size: 1.05rem;
      margin: 0 0 0.5rem;
    }
    label {
      display: grid;
      gap: 0.25rem;
    }
    input {
      width: 100%;
    }
    table {
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
      font-size: 0.9rem;
    }
    td,
    th {
      padding: 0.1rem 0.75rem 0.1rem 0;
      text-align: left;
    }
  `
}
customElements.define('replay-panel', ReplayPanel)
