import { css, html, LitElement, nothing, type PropertyValues } from 'lit'
import { virtualize } from '@lit-labs/virtualizer/virtualize.js'
import type { EventStore, Unsubscribe } from '@brook/core'
import { defineElement } from './define.ts'
import { errorText, formatCount } from './format.ts'
import { LogIndex } from './log-index.ts'
import { theme } from './theme.ts'

/** Re-render at most this often while the index catches up (a sort of every stream name each time). */
const THROTTLE_MS = 100

/**
 * `<brook-streams>`: every stream of the log with its version (its number of events),
 * sorted by name, live. It reads the log once from the start through a compact
 * {@link LogIndex} (8 bytes per event), then follows appends; the list is virtualised, so a
 * log with 100,000 streams renders as fast as one with ten.
 *
 * Properties: `store` (an `EventStore`), `filter` (attribute `filter`: a case-insensitive
 * substring of stream names).
 *
 * @example
 * ```ts
 * const streams = document.createElement('brook-streams')
 * streams.store = await openEventStore('shop')
 * document.body.append(streams)
 * ```
 */
export class BrookStreams extends LitElement {
  static override properties = {
    store: { attribute: false },
    filter: {},
  }

  declare store: EventStore | undefined
  declare filter: string

  #index: LogIndex | undefined
  #indexStore: EventStore | undefined
  #stop: Unsubscribe | undefined
  #head = 0
  #problem = ''
  #timer: ReturnType<typeof setTimeout> | undefined
  #sorted: { count: number; ids: number[] } = { count: 0, ids: [] }
  #shown: { key: string; count: number; ids: number[] } = { key: '', count: 0, ids: [] }

  constructor() {
    super()
    this.store = undefined
    this.filter = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.#restart()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#release()
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('store')) this.#restart()
  }

  #restart(): void {
    if (this.#stop !== undefined && this.#indexStore === this.store && this.isConnected) return
    this.#release()
    const store = this.store
    if (store === undefined || !this.isConnected) return
    // A fresh index per connection: the old one may have missed events while disconnected.
    const index = new LogIndex()
    this.#index = index
    this.#indexStore = store
    this.#problem = ''
    this.#sorted = { count: 0, ids: [] }
    this.#shown = { key: '', count: 0, ids: [] }
    const fail = (err: unknown) => {
      if (this.#index !== index) return
      this.#problem = errorText(err)
      this.requestUpdate()
    }
    try {
      this.#stop = index.start(store, { onChange: () => this.#changed(), onError: fail })
    } catch (err) {
      fail(err)
    }
    store.head().then((head) => {
      if (this.#index !== index) return
      this.#head = head
      this.#changed()
    }, fail)
  }

  #release(): void {
    void this.#stop?.().catch(() => {})
    this.#stop = undefined
    this.#index = undefined
    this.#indexStore = undefined
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #changed(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined
      this.requestUpdate()
    }, THROTTLE_MS)
  }

  /** Stream ids sorted by name, filtered; recomputed only when a stream or the filter changed. */
  #ids(index: LogIndex): number[] {
    const names = index.streamNames
    if (this.#sorted.count !== names.length) {
      const ids = Array.from(names, (_, id) => id)
      ids.sort((a, b) => compare(names[a] ?? '', names[b] ?? ''))
      this.#sorted = { count: names.length, ids }
    }
    const key = this.filter.trim().toLowerCase()
    if (this.#shown.key !== key || this.#shown.count !== names.length) {
      const ids =
        key === '' ? this.#sorted.ids : this.#sorted.ids.filter((id) => names[id]?.toLowerCase().includes(key))
      this.#shown = { key, count: names.length, ids }
    }
    return this.#shown.ids
  }

  #summary(shown: number, streams: number, indexed: number, head: number): string {
    const reading = indexed < head ? ` · read ${formatCount(indexed)} of ${formatCount(head)} events` : ''
    return `${formatCount(shown)} of ${formatCount(streams)} streams${reading}`
  }

  override render() {
    const index = this.#index
    if (this.store === undefined) return html`<p class="muted">No event store: set the <code>store</code> property.</p>`
    if (index === undefined) return nothing
    const ids = this.#ids(index)
    const head = Math.max(this.#head, index.size)
    const names = index.streamNames
    return html`
      <div class="toolbar">
        <label
          >Stream
          <input
            type="search"
            .value=${this.filter}
            @input=${(e: Event) => (this.filter = (e.target as HTMLInputElement).value)}
        /></label>
        <span class="muted count">${this.#summary(ids.length, names.length, index.size, head)}</span>
      </div>
      ${this.#problem === '' ? nothing : html`<p role="alert">${this.#problem}</p>`}
      <div class="row head" aria-hidden="true"><span>stream</span><span>version</span></div>
      <div class="list" role="list" tabindex="0" aria-label="Streams">
        ${
          this.isConnected
            ? virtualize({
                items: ids,
                keyFunction: (id: number) => id,
                scroller: true,
                renderItem: (id: number, i: number) =>
                  html`<div class="row" role="listitem" aria-posinset=${i + 1} aria-setsize=${ids.length}>
                    <span class="name" title=${names[id] ?? ''}>${names[id]}</span
                    ><span class="version">${formatCount(index.versionOf(id))}</span>
                  </div>`,
              })
            : nothing
        }
      </div>
    `
  }

  static override styles = [
    theme,
    css`
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        padding: 0.5rem;
      }
      .list {
        height: var(--brook-log-height, 20rem);
        border-top: 1px solid var(--_border);
        border-bottom: 1px solid var(--_border);
      }
      .row {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 10ch;
        gap: 1rem;
        align-items: center;
        box-sizing: border-box;
        width: 100%;
        height: var(--_row);
        padding: 0 0.5rem;
        white-space: nowrap;
      }
      .head {
        color: var(--_muted);
        font-weight: 600;
      }
      .name {
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .version {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
    `,
  ]
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

defineElement('brook-streams', BrookStreams)

declare global {
  interface HTMLElementTagNameMap {
    'brook-streams': BrookStreams
  }
}
