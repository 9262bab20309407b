import { css, html, LitElement, nothing } from 'lit'
import { isBrookError, type EventStore, type RecordedEvent } from '@brook/core'

const TAIL = 50

/**
 * The demo page: append events to a stream, watch the log (head, stream versions, a live
 * tail) in this and every other tab.
 */
export class DemoApp extends LitElement {
  static override properties = {
    store: { attribute: false },
    fatal: { state: true },
    tail: { state: true },
    versions: { state: true },
    head: { state: true },
    problem: { state: true },
    busy: { state: true },
  }

  // `declare` keeps these off the instance so Lit's reactive accessors are not shadowed
  // by class fields (https://lit.dev/docs/components/properties/#avoiding-issues-with-class-fields).
  declare store: EventStore | undefined
  declare fatal: string
  declare tail: RecordedEvent[]
  declare versions: Map<string, number>
  declare head: number
  declare problem: string
  declare busy: boolean

  constructor() {
    super()
    this.fatal = ''
    this.tail = []
    this.versions = new Map()
    this.head = 0
    this.problem = ''
    this.busy = false
  }
  #unsubscribe: (() => Promise<void>) | undefined

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    void this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.#follow()
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('store')) this.#follow()
  }

  /** Follows the log from the start: catch-up, then every append of every tab, live. */
  #follow(): void {
    const store = this.store
    if (store === undefined || this.#unsubscribe !== undefined || !this.isConnected) return
    const ready = store.head().then((head) => {
      if (head === 0) document.body.dataset.ready = 'true'
      return head
    })
    this.#unsubscribe = store.subscribe({ from: 'start' }, async (e) => {
      this.tail = [e, ...this.tail.slice(0, TAIL - 1)]
      this.versions = new Map(this.versions).set(e.stream, e.version)
      this.head = e.position
      document.body.dataset.head = String(e.position)
      if (e.position === (await ready)) document.body.dataset.ready = 'true'
    })
  }

  async #append(count: number): Promise<void> {
    const store = this.store
    const form = this.renderRoot.querySelector('form')
    if (store === undefined || form === null) return
    const fields = new FormData(form)
    const text = (name: string) => {
      const value = fields.get(name)
      return typeof value === 'string' ? value : ''
    }
    const stream = text('stream')
    const type = text('type')
    this.problem = ''
    let data: unknown
    try {
      data = JSON.parse(text('data'))
    } catch {
      this.problem = 'data is not valid JSON'
      return
    }
    this.busy = true
    try {
      const events = Array.from({ length: count }, () => ({ type, data }))
      await store.append(stream, events)
    } catch (err) {
      this.problem = isBrookError(err) ? `${err.code}: ${err.message}` : String(err)
    } finally {
      this.busy = false
    }
  }

  override render() {
    if (this.fatal !== '') return html`<p role="alert">Could not open the store: ${this.fatal}</p>`
    return html`
      <header>
        <h1>Brook</h1>
        <p>An append-only event log in this browser's IndexedDB. Open a second tab: it sees the same log.</p>
      </header>
      <form
        @submit=${(e: Event) => {
          e.preventDefault()
          void this.#append(1)
        }}
      >
        <label>Stream <input name="stream" value="device-1" required /></label>
        <label>Type <input name="type" value="ReadingTaken" required /></label>
        <label>Data (JSON) <textarea name="data" rows="2">{"celsius": 21.5}</textarea></label>
        <div class="buttons">
          <button type="submit" ?disabled=${this.busy || this.store === undefined}>Append</button>
          <button
            type="button"
            ?disabled=${this.busy || this.store === undefined}
            @click=${() => void this.#append(1000)}
          >
            Append 1,000
          </button>
        </div>
      </form>
      ${this.problem === '' ? nothing : html`<p role="alert" class="problem">${this.problem}</p>`}
      <section class="stats" aria-label="Log state">
        <p>Head: <strong data-testid="head">${this.head}</strong></p>
        <table>
          <caption>
            Streams
          </caption>
          <thead>
            <tr>
              <th>stream</th>
              <th>version</th>
            </tr>
          </thead>
          <tbody>
            ${[...this.versions].map(
              ([s, v]) =>
                html`<tr>
                  <td>${s}</td>
                  <td>${v}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>
      <section aria-label="Latest events">
        <h2>Latest events</h2>
        <ol class="log" data-testid="log">
          ${this.tail.map(
            (e) =>
              html`<li>
                <span class="pos">#${e.position}</span> <span class="stream">${e.stream}@${e.version}</span>
                <span class="type">${e.type}</span> <code>${JSON.stringify(e.data)}</code>
              </li>`,
          )}
        </ol>
      </section>
    `
  }

  static override styles = css`
    :host {
      display: grid;
      gap: 1rem;
      grid-template-columns: 1fr 1fr;
    }
    header,
    section[aria-label='Latest events'] {
      grid-column: 1 / -1;
    }
    form {
      display: grid;
      gap: 0.5rem;
    }
    label {
      display: grid;
      gap: 0.25rem;
    }
    input,
    textarea,
    button {
      font: inherit;
      padding: 0.35rem 0.5rem;
    }
    .buttons {
      display: flex;
      gap: 0.5rem;
    }
    .problem {
      color: #b3261e;
      grid-column: 1 / -1;
    }
    table {
      border-collapse: collapse;
    }
    td,
    th {
      padding: 0.2rem 0.75rem;
      text-align: left;
      border-bottom: 1px solid color-mix(in srgb, currentColor 20%, transparent);
    }
    .log {
      font-family: ui-monospace, monospace;
      font-size: 0.9rem;
      padding-left: 0;
      list-style: none;
    }
    .log li {
      padding: 0.2rem 0;
      border-bottom: 1px solid color-mix(in srgb, currentColor 10%, transparent);
    }
    .pos {
      opacity: 0.6;
    }
    .type {
      font-weight: 600;
    }
  `
}
