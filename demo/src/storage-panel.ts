import { css, html, LitElement } from 'lit'
import type { EventStore } from '@brook/core'
import { deleteEventStore } from '@brook/idb'
import type { ConsumerHandle } from '@brook/worker'

/** `navigator.storage`, or undefined where the browser has none (WebKitGTK). */
const storageApi = (navigator as Partial<Navigator>).storage

const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : `${(bytes / 1024 / 1024).toFixed(1)} MB`)

/** What the browser keeps for this origin, persistence, and a way to start over. */
export class StoragePanel extends LitElement {
  static override properties = {
    store: { attribute: false },
    consumers: { attribute: false },
    estimate: { state: true },
    persisted: { state: true },
    head: { state: true },
    clearing: { state: true },
  }
  declare store: EventStore | undefined
  declare consumers: Record<string, ConsumerHandle>
  declare estimate: StorageEstimate | undefined
  declare persisted: boolean | undefined
  declare head: number
  declare clearing: boolean
  #timer: ReturnType<typeof setInterval> | undefined

  constructor() {
    super()
    this.consumers = {}
    this.head = 0
    this.clearing = false
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.#measure()
    this.#timer = setInterval(() => void this.#measure(), 2000)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    clearInterval(this.#timer)
  }

  async #measure(): Promise<void> {
    // WebKitGTK ships the Storage API off (Safari has it): no estimate, no persistence.
    if (storageApi !== undefined) {
      this.estimate = await storageApi.estimate()
      this.persisted = await storageApi.persisted()
    }
    if (this.store !== undefined) this.head = await this.store.head().catch(() => this.head)
  }

  async #persist(): Promise<void> {
    if (storageApi !== undefined) this.persisted = await storageApi.persist()
  }

  /** Stops this tab's consumers, deletes every Brook store of the origin, reloads. */
  async #clear(): Promise<void> {
    if (!confirm('Delete every event, read model and checkpoint of this demo in this browser?')) return
    this.clearing = true
    await Promise.all(Object.values(this.consumers).map((c) => c.stop().catch(() => {})))
    await this.store?.close()
    // Deleted on purpose (not lost): deleteEventStore also forgets the store's high-water
    // mark, so the next start is a new log rather than LOG_REGRESSED.
    for (const { name } of await indexedDB.databases()) {
      if (name?.startsWith('brook:') === true) await deleteEventStore(name.slice('brook:'.length)).catch(() => {})
    }
    location.reload()
  }

  override render() {
    const e = this.estimate
    return html`
      <section aria-label="Storage">
        <h2>Storage</h2>
        <p>
          Log: <strong>${this.head}</strong> events · origin uses ${mb(e?.usage)} of ${mb(e?.quota)} ·
          ${this.persisted === true ? html`<strong>persistent</strong>` : 'best effort (may be evicted)'}
        </p>
        <div class="buttons">
          <button @click=${() => void this.#persist()} ?disabled=${this.persisted === true || storageApi === undefined}>
            Ask for persistent storage
          </button>
          <button class="danger" @click=${() => void this.#clear()} ?disabled=${this.clearing}>Clear all data</button>
        </div>
      </section>
    `
  }

  static override styles = css`
    h2 {
      font-size: 1.05rem;
      margin: 0 0 0.5rem;
    }
    .buttons {
      display: flex;
      gap: 0.5rem;
      flex-wrap: wrap;
    }
    button {
      font: inherit;
      padding: 0.3rem 0.5rem;
    }
    .danger {
      color: #b3261e;
    }
  `
}
customElements.define('storage-panel', StoragePanel)
