import { html, LitElement, nothing, type PropertyValues } from 'lit'
import { virtualize } from '@lit-labs/virtualizer/virtualize.js'
import type { EventStore } from '@brook/core'
import { defineElement } from './define.ts'
import { FollowTail } from './follow-tail.ts'
import { formatCount } from './format.ts'
import { LogFeed } from './log-feed.ts'
import { eventDetail, logRow, suggestions } from './log-rows.ts'
import { logViewStyles } from './log-view-styles.ts'

const NO_ITEMS: number[] = []

/**
 * `<brook-log-view>`: a live, virtualised tail of an event log. Only the rows in view exist
 * in the DOM and only recently seen events stay in memory (a bounded cache filled by
 * `store.read`), so a log of millions of events scrolls as fast as one of ten. New events
 * arrive through `store.subscribe({ from: 'end' })`; while "Follow newest" is on the view
 * stays on the newest, scrolling up turns it off and scrolling back down turns it on.
 * Filters match streams and types by substring, ignoring case. Everything an event holds is
 * rendered as text, never as HTML.
 *
 * Keyboard: Tab to the list, then ↑/↓, PageUp/PageDown, Home/End (End follows again),
 * Escape clears the selection. The selected event is shown in full below the list.
 *
 * Properties: `store` (an `EventStore`), `streamFilter` / `typeFilter` (attributes
 * `stream-filter` / `type-filter`), `follow` (default true). Read-only: `positions`.
 * Styling: the `--brook-*` custom properties (see `brookTheme`) and `--brook-log-height`.
 *
 * @example
 * ```ts
 * import '@brook/lit'
 * const view = document.createElement('brook-log-view')
 * view.store = await openEventStore('shop')
 * view.typeFilter = 'ItemAdded'
 * document.body.append(view)
 * ```
 */
export class BrookLogView extends LitElement {
  /**
   * Rows in the scroller at most (default 200,000). The virtualizer clamps its scroll size
   * at 8,200,000 px, so a longer list could not scroll to its end; 200,000 rows fit up to
   * 41 px a row. A longer log is shown as a window of this many positions: the newest while
   * following, else the one around the row chosen (Go to, Home, "Show older").
   */
  static maxRows = 200_000

  static override properties = {
    store: { attribute: false },
    streamFilter: { attribute: 'stream-filter' },
    typeFilter: { attribute: 'type-filter' },
    follow: { attribute: false },
  }

  // `declare` keeps these off the instance so Lit's reactive accessors are not shadowed
  // by class fields (https://lit.dev/docs/components/properties/#avoiding-issues-with-class-fields).
  declare store: EventStore | undefined
  declare streamFilter: string
  declare typeFilter: string
  declare follow: boolean

  #feed: LogFeed | undefined
  /** Every position that passes the filters; the list shows `#items`, a window of it. */
  #all: number[] = NO_ITEMS
  #items: number[] = NO_ITEMS
  #start = 0
  #windowOf: number[] | undefined
  #active: number | undefined
  #visible = { first: 0, last: 0 }
  #followed: number[] = NO_ITEMS
  readonly #tail = new FollowTail(
    this,
    () => this.#list(),
    () => this.#items.length,
    () => this.#start + this.#items.length === this.#all.length,
  )
  #goto = ''

  constructor() {
    super()
    this.store = undefined
    this.streamFilter = ''
    this.typeFilter = ''
    this.follow = true
  }

  /** Every position that passes the filters, ascending (the list may show a window of them). */
  get positions(): readonly number[] {
    return this.#all
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.#restart()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#feed?.stop()
    this.#feed = undefined
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('store')) {
      this.#restart()
      this.#active = undefined
    }
    this.#all = this.#feed?.positions({ stream: this.streamFilter, type: this.typeFilter }) ?? NO_ITEMS
    this.#window()
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('follow') || this.#items !== this.#followed) this.#tail.rowsChanged()
    this.#followed = this.#items
  }

  #restart(): void {
    if (this.#feed !== undefined && this.#feed.store === this.store && this.isConnected) return
    this.#feed?.stop()
    this.#feed = undefined
    if (this.store === undefined || !this.isConnected) return
    this.#feed = new LogFeed(this.store, () => this.requestUpdate())
    this.#feed.start()
  }

  /** Chooses the rows of a long list: the newest while following, else a window that stays put. */
  #window(): void {
    const all = this.#all
    const max = this.#maxRows()
    if (all.length <= max) {
      this.#start = 0
      this.#items = all
      return
    }
    const start = this.follow ? all.length - max : Math.min(this.#start, all.length - max)
    // A new array only when the window or the list changed: the virtualizer takes a new
    // array for new items.
    if (start === this.#start && this.#windowOf === all) return
    this.#start = start
    this.#windowOf = all
    this.#items = all.slice(start, start + max)
  }

  override render() {
    const feed = this.#feed
    if (this.store === undefined) return html`<p class="muted">No event store: set the <code>store</code> property.</p>`
    const items = this.#items
    const active = this.#active === undefined ? undefined : feed?.event(this.#active)
    const windowed = items.length < this.#all.length
    return html`
      <div class="toolbar">
        <label
          >Stream <input type="search" .value=${this.streamFilter} list="streams" @input=${this.#onStream}
        /></label>
        <label>Type <input type="search" .value=${this.typeFilter} list="types" @input=${this.#onType} /></label>
        <form @submit=${this.#onGoto}>
          <label
            >Go to
            <input
              type="number"
              min="1"
              step="1"
              aria-label="Go to position"
              .value=${this.#goto}
              @input=${this.#onGotoInput}
          /></label>
        </form>
        <label><input type="checkbox" .checked=${this.follow} @change=${this.#onFollow} /> Follow newest</label>
        <span class="muted count">${this.#summary(feed)}</span>
        ${suggestions('streams', feed?.index?.streamNames)} ${suggestions('types', feed?.index?.typeNames)}
      </div>
      ${feed?.error ? html`<p role="alert">${feed.error}</p>` : nothing}
      ${
        windowed
          ? html`<p class="window muted">
              Showing ${formatCount(items.length)} of ${formatCount(this.#all.length)} rows, from #${items[0]}.
              <button ?disabled=${this.#start === 0} @click=${() => this.#moveTo(Math.max(this.#start - 1, 0))}>
                Show older
              </button>
            </p>`
          : nothing
      }
      <div class="row head" aria-hidden="true">
        <span>#</span><span>time</span><span>stream</span><span>type</span><span>data</span>
      </div>
      <div
        class="list"
        role="listbox"
        tabindex="0"
        aria-label="Events"
        aria-activedescendant=${this.#active === undefined ? nothing : `event-${this.#active}`}
        @keydown=${this.#onKey}
        @scroll=${this.#tail.onScroll}
        @wheel=${this.#tail.onWheel}
        @pointerdown=${this.#tail.onPointerDown}
        @visibilityChanged=${this.#onVisibility}
      >
        ${
          // A virtualizer rendered while disconnected would attach observers and a window
          // scroll listener that nothing ever detaches: render the list only when connected.
          this.isConnected
            ? virtualize({
                items,
                keyFunction: (position: number) => position,
                renderItem: (position: number, index: number) =>
                  logRow(position, feed?.event(position), {
                    posinset: this.#start + index + 1,
                    setsize: this.#all.length,
                    selected: position === this.#active,
                    onClick: () => this.#select(this.#start + index),
                  }),
                scroller: true,
              })
            : nothing
        }
      </div>
      ${active === undefined ? nothing : eventDetail(active)}
    `
  }

  #summary(feed: LogFeed | undefined): string {
    if (feed === undefined || !feed.ready) return 'Loading…'
    const filtered = this.streamFilter.trim() !== '' || this.typeFilter.trim() !== ''
    if (!filtered) return `${formatCount(feed.head)} events`
    const indexed = feed.index?.size ?? 0
    const scanning = indexed < feed.head ? ` (scanned ${formatCount(indexed)})` : ''
    return `${formatCount(this.#all.length)} of ${formatCount(feed.head)} events${scanning}`
  }

  readonly #onStream = (e: Event) => {
    this.streamFilter = (e.target as HTMLInputElement).value
  }

  readonly #onType = (e: Event) => {
    this.typeFilter = (e.target as HTMLInputElement).value
  }

  readonly #onFollow = (e: Event) => {
    this.follow = (e.target as HTMLInputElement).checked
  }

  readonly #onGotoInput = (e: Event) => {
    this.#goto = (e.target as HTMLInputElement).value
  }

  /** Selects the first listed position at or after the one typed. */
  readonly #onGoto = (e: Event) => {
    e.preventDefault()
    const wanted = Number(this.#goto)
    if (!Number.isFinite(wanted) || this.#all.length === 0) return
    const index = Math.min(lowerBound(this.#all, wanted), this.#all.length - 1)
    this.#select(index)
    this.#list()?.focus()
  }

  readonly #onVisibility = (e: Event) => {
    const { first, last } = e as Event & { first: number; last: number }
    this.#visible = { first, last }
    // The list was laid out anew (rows measured, shown after being hidden): stay at the end.
    this.#tail.rowsChanged()
  }

  readonly #onKey = (e: KeyboardEvent) => {
    this.#tail.onKeyDown(e)
    const last = this.#all.length - 1
    if (last < 0) return
    const current = this.#active === undefined ? -1 : indexOf(this.#all, this.#active)
    const first = this.#start + this.#visible.first
    const page = Math.max(this.#visible.last - this.#visible.first, 1)
    let next: number
    if (e.key === 'ArrowDown') next = current < 0 ? first : current + 1
    else if (e.key === 'ArrowUp') next = current < 0 ? this.#start + this.#visible.last : current - 1
    else if (e.key === 'PageDown') next = (current < 0 ? first : current) + page
    else if (e.key === 'PageUp') next = (current < 0 ? this.#start + this.#visible.last : current) - page
    else if (e.key === 'Home') next = 0
    else if (e.key === 'End') next = last
    else if (e.key === 'Escape' && this.#active !== undefined) {
      e.preventDefault()
      this.#active = undefined
      this.requestUpdate()
      return
    } else return
    e.preventDefault()
    this.#select(Math.min(Math.max(next, 0), last), e.key === 'End')
  }

  /** Selects the row at `index` of all listed positions, and brings it into view. */
  #select(index: number, follow = false): void {
    const position = this.#all[index]
    if (position === undefined) return
    this.#active = position
    this.follow = follow
    if (!follow) this.#moveTo(index)
    this.requestUpdate()
  }

  /** Shows row `index` of all listed positions, moving the window first if it is outside. */
  #moveTo(index: number): void {
    if (index < this.#start || index >= this.#start + this.#items.length) {
      const max = this.#maxRows()
      this.#start = Math.max(0, Math.min(index - Math.floor(max / 2), this.#all.length - max))
      this.#windowOf = undefined // re-sliced in willUpdate
      this.follow = false
      this.requestUpdate()
      void this.updateComplete.then(() => this.#tail.reveal(index - this.#start))
      return
    }
    this.#tail.reveal(index - this.#start)
  }

  #maxRows(): number {
    return Math.max((this.constructor as typeof BrookLogView).maxRows, 1)
  }

  #list(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.list')
  }

  static override styles = logViewStyles
}

/** The first index of ascending `items` whose value is ≥ `value` (`items.length` if none). */
function lowerBound(items: readonly number[], value: number): number {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((items[mid] ?? 0) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of `position` in ascending `items`, or -1. */
function indexOf(items: readonly number[], position: number): number {
  const i = lowerBound(items, position)
  return items[i] === position ? i : -1
}

defineElement('brook-log-view', BrookLogView)

declare global {
  interface HTMLElementTagNameMap {
    'brook-log-view': BrookLogView
  }
}
