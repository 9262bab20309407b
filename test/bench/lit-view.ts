/**
 * The receiving end of the append -> Lit render latency path (latency.ts): `<bench-latest>`
 * shows one stream's state of `latestProjection` through `ProjectionController`, and tells
 * its `onRendered` callback the value each time its `updated()` runs (the DOM holds that
 * render; it is not yet painted). Loaded on demand by tab B, so the other cases' page does
 * not carry Lit.
 */
import { LitElement, html } from 'lit'
import type { EventStore } from '@brook/core'
import { openViewCount, ProjectionController } from '@brook/lit'
import { latestProjection, type Latest, type LatestEvents } from './projections.ts'

export class BenchLatest extends LitElement {
  static override properties = { stream: { type: String } }
  declare stream: string
  store: EventStore | undefined
  onRendered: ((value: Latest) => void) | undefined
  private latest: ProjectionController<Latest, LatestEvents> | undefined

  override connectedCallback() {
    this.latest ??= new ProjectionController(this, this.store, latestProjection, { key: this.stream })
    super.connectedCallback()
  }

  override render() {
    const value = this.latest?.value
    return html`<output>${value === undefined ? '-' : `${value.n} events, the last #${value.seq}`}</output>`
  }

  /** Why the controller could not read the state, if it could not. */
  get error() {
    return this.latest?.error
  }

  override updated() {
    const value = this.latest?.value
    if (value !== undefined) this.onRendered?.(value)
  }
}
if (customElements.get('bench-latest') === undefined) customElements.define('bench-latest', BenchLatest)

/** A mounted `<bench-latest>`: the value of its first render, and how to take it down. */
export interface MountedLatest {
  element: BenchLatest
  initial: Latest
  unmount(): Promise<void>
}

const MOUNT_TIMEOUT_MS = 30_000
const UNMOUNT_TIMEOUT_MS = 5000

/** Adds a `<bench-latest>` for `stream` to the page; resolves once it rendered a value. */
export async function mountLatest(store: EventStore, stream: string): Promise<MountedLatest> {
  const element = Object.assign(document.createElement('bench-latest') as BenchLatest, { store, stream })
  let timer: ReturnType<typeof setTimeout> | undefined
  const initial = new Promise<Latest>((resolve, reject) => {
    element.onRendered = resolve
    timer = setTimeout(() => {
      const why = element.error === undefined ? '' : `: ${element.error.message}`
      reject(new Error(`<bench-latest> rendered no value within ${MOUNT_TIMEOUT_MS} ms${why}`))
    }, MOUNT_TIMEOUT_MS)
  })
  document.body.append(element)
  try {
    await initial
  } catch (err) {
    element.remove()
    throw err
  } finally {
    clearTimeout(timer)
  }
  return {
    element,
    initial: await initial,
    async unmount() {
      element.onRendered = undefined
      element.remove()
      // The shared view closes (its connection, channel and poll) a moment after its last
      // element left: wait for that, so the store can be deleted right after.
      const deadline = performance.now() + UNMOUNT_TIMEOUT_MS
      while (openViewCount() > 0 && performance.now() < deadline) await sleep(20)
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
