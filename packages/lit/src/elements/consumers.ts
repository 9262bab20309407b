import { html, LitElement } from 'lit'
import type { ConsumerHandle } from '@brook/worker'
import { consumerCard, consumerStyles, type ConsumerRow } from './consumer-card.ts'
import { defineElement } from './define.ts'
import { errorText } from './format.ts'

export type { ParkedEvent } from './consumer-card.ts'

/**
 * The consumers to show: handles (named by their status once it answers), or handles by name.
 *
 * @example
 * ```ts
 * panel.consumers = [totals, alerts]
 * panel.consumers = { totals, alerts }
 * panel.consumers = new Map([['totals', totals]])
 * ```
 */
export type ConsumerList =
  readonly ConsumerHandle[] | ReadonlyMap<string, ConsumerHandle> | Readonly<Record<string, ConsumerHandle>>

/**
 * `<brook-consumers>`: the consumers of an app with their position, lag, rate, state and
 * parked events, and buttons to pause, resume, reset (to the start or to a position) and
 * replay parked events. It polls each handle's `status()` every `pollMs` while connected
 * (the next poll starts when the previous one answered) and stops when disconnected.
 *
 * Properties: `consumers` (an array of `ConsumerHandle`, or a `Map`/object of handles by
 * name), `pollMs` (attribute `poll-ms`, default 500).
 *
 * @example
 * ```ts
 * const totals = await startConsumer(new URL('./totals.consumer.ts', import.meta.url))
 * const panel = document.createElement('brook-consumers')
 * panel.consumers = { totals }
 * document.body.append(panel)
 * ```
 */
export class BrookConsumers extends LitElement {
  static override properties = {
    consumers: { attribute: false },
    pollMs: { attribute: 'poll-ms', type: Number },
  }

  declare consumers: ConsumerList
  declare pollMs: number

  #rows = new Map<ConsumerHandle, ConsumerRow>()
  #rowsOf: ConsumerList | undefined
  #stops: (() => void)[] = []

  constructor() {
    super()
    this.consumers = []
    this.pollMs = 500
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.#sync()
    this.#startPolling()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#stopPolling()
  }

  protected override willUpdate(): void {
    if (this.#sync() && this.isConnected) this.#startPolling()
  }

  /** Matches the rows to `consumers`; whether they changed. */
  #sync(): boolean {
    if (this.#rowsOf === this.consumers) return false
    this.#rowsOf = this.consumers
    const next = new Map<ConsumerHandle, ConsumerRow>()
    for (const [label, handle] of entries(this.consumers)) {
      // The same row object is kept: a poll in flight writes into it.
      const row = this.#rows.get(handle) ?? emptyRow(label)
      row.label = label
      next.set(handle, row)
    }
    this.#rows = next
    return true
  }

  /** Reads every consumer's status now (and its parked list when the count changed). */
  async refresh(): Promise<void> {
    await Promise.all([...this.#rows.keys()].map((handle) => this.#refresh(handle, () => false)))
  }

  #startPolling(): void {
    this.#stopPolling()
    this.#stops = [...this.#rows.keys()].map((handle) => this.#poll(handle))
  }

  #stopPolling(): void {
    for (const stop of this.#stops.splice(0)) stop()
  }

  /**
   * Polls one consumer until the returned stop is called. Each consumer has its own loop, so
   * one whose worker hangs does not freeze the others; the next poll starts only after the
   * previous one answered, so a slow worker is never asked twice at once.
   */
  #poll(handle: ConsumerHandle): () => void {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = async () => {
      await this.#refresh(handle, () => stopped)
      if (!stopped) timer = setTimeout(() => void tick(), Math.max(this.pollMs, 50))
    }
    void tick()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }

  async #refresh(handle: ConsumerHandle, stale: () => boolean): Promise<void> {
    const row = this.#rows.get(handle)
    if (row === undefined) return
    try {
      const status = await handle.status()
      if (stale()) return
      row.status = status
      row.problem = ''
      if (status.parked !== row.parkedAt) {
        const parked = await handle.parked()
        if (stale()) return
        row.parked = parked
        row.parkedAt = status.parked
      }
    } catch (err) {
      if (stale()) return
      row.problem = errorText(err)
    }
    this.requestUpdate()
  }

  async #act(handle: ConsumerHandle, what: string, action: () => Promise<unknown>): Promise<void> {
    const row = this.#rows.get(handle)
    if (row === undefined || row.busy) return
    row.busy = true
    row.problem = ''
    this.requestUpdate()
    try {
      await action()
    } catch (err) {
      row.problem = `${what} failed: ${errorText(err)}`
    } finally {
      row.busy = false
    }
    // Read the parked list afresh after a replay even if its count did not change.
    row.parkedAt = -1
    const problem = row.problem
    await this.#refresh(handle, () => false)
    if (problem !== '') row.problem = problem
    this.requestUpdate()
  }

  override render() {
    if (this.#rows.size === 0) return html`<p class="muted">No consumers.</p>`
    return html`${[...this.#rows].map(([handle, row]) =>
      consumerCard(handle, row, {
        act: (what, action) => this.#act(handle, what, action),
        changed: () => this.requestUpdate(),
      }),
    )}`
  }

  static override styles = consumerStyles
}

function emptyRow(label: string): ConsumerRow {
  return { label, status: undefined, parked: [], parkedAt: 0, problem: '', busy: false, resetTo: '' }
}

function entries(list: ConsumerList): [string, ConsumerHandle][] {
  if (Array.isArray(list)) return list.map((h: ConsumerHandle, i) => [`consumer ${i + 1}`, h])
  if (list instanceof Map) return [...(list as ReadonlyMap<string, ConsumerHandle>)]
  return Object.entries(list as Readonly<Record<string, ConsumerHandle>>)
}

defineElement('brook-consumers', BrookConsumers)

declare global {
  interface HTMLElementTagNameMap {
    'brook-consumers': BrookConsumers
  }
}
