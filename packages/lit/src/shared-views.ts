import type { EventStore, JsonValue } from '@brook/core'
import { openProjection, type EventMap, type Projection, type ProjectionView } from '@brook/projections'

interface Entry {
  view: Promise<ProjectionView<JsonValue>>
  refs: number
  closeTimer: ReturnType<typeof setTimeout> | undefined
}

// One view (one connection, one channel, one poll) per store and projection version,
// however many elements show it.
const views = new WeakMap<EventStore, Map<string, Entry>>()
let open = 0

// An element moved in the DOM disconnects and reconnects at once: keep its view that long.
const LINGER_MS = 250

/**
 * Borrows the shared view of `projection` on `store`; call the returned release once done.
 *
 * @example
 * ```ts
 * const { view, release } = acquireView(store, carts)
 * const off = (await view).subscribe('cart-1', render)
 * // later: off(); release()
 * ```
 */
export function acquireView<S, M extends EventMap>(
  store: EventStore,
  projection: Projection<S, M>,
): { view: Promise<ProjectionView<S>>; release: () => void } {
  let byName = views.get(store)
  if (byName === undefined) {
    byName = new Map()
    views.set(store, byName)
  }
  const key = `${projection.name}@${projection.version}`
  let entry = byName.get(key)
  if (entry === undefined) {
    const view = openProjection(store, projection) as unknown as Promise<ProjectionView<JsonValue>>
    open += 1
    entry = { view, refs: 0, closeTimer: undefined }
    byName.set(key, entry)
    const forget = () => {
      open -= 1
      byName.delete(key)
    }
    view.catch(forget) // a failed open is not kept: the next borrower tries again
  }
  const held = entry
  held.refs += 1
  if (held.closeTimer !== undefined) clearTimeout(held.closeTimer)
  held.closeTimer = undefined
  let released = false
  return {
    view: held.view as unknown as Promise<ProjectionView<S>>,
    release() {
      if (released) return
      released = true
      held.refs -= 1
      if (held.refs > 0) return
      held.closeTimer = setTimeout(() => {
        if (held.refs > 0 || byName.get(key) !== held) return
        byName.delete(key)
        open -= 1
        void held.view.then(
          (v) => v.close(),
          () => {},
        )
      }, LINGER_MS)
    },
  }
}

/** How many shared views are open now (for leak tests and devtools). */
export function openViewCount(): number {
  return open
}
