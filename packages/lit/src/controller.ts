import { ContextConsumer } from '@lit/context'
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import { BrookError, isBrookError, type EventStore } from '@brook/core'
import type { EventMap, Projection, ProjectionStatus } from '@brook/projections'
import { storeContext } from './context.ts'
import { acquireView } from './shared-views.ts'

export interface ProjectionControllerOptions {
  /** For a keyed projection: whose state to show. Change it later with `controller.key = …`. */
  key?: string
}

/**
 * Shows a projection's state in a Lit element, live in every tab: subscribes when the host
 * connects, releases when it disconnects, and re-renders the host on every change.
 * Pass `store`, or `undefined` to take it from {@link storeContext}.
 *
 * @example
 * ```ts
 * class CartTotal extends LitElement {
 *   static properties = { cart: { type: String } }
 *   declare cart: string
 *   private cartState = new ProjectionController(this, undefined, carts, { key: 'cart-1' })
 *   render() {
 *     const { value, status } = this.cartState
 *     if (status.state === 'loading') return html`loading ${Math.round(status.progress * 100)}%`
 *     return html`${value?.items} items, ${value?.total} €`
 *   }
 * }
 * ```
 */
export class ProjectionController<S, M extends EventMap = EventMap> implements ReactiveController {
  /** The state shown (of `key`), `undefined` until first read. */
  value: S | undefined = undefined
  /** Which version is shown and how far a rebuild has got. */
  status: ProjectionStatus
  /** Why the state could not be read, if it could not. */
  error: BrookError | undefined = undefined

  private store: EventStore | undefined
  private currentKey: string
  private connected = false
  private release: (() => void) | undefined

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    store: EventStore | undefined,
    private readonly projection: Projection<S, M>,
    options: ProjectionControllerOptions = {},
  ) {
    this.store = store
    this.currentKey = options.key ?? ''
    this.status = { state: 'loading', version: projection.version, position: 0, head: 0, progress: 0 }
    if (store === undefined) {
      new ContextConsumer(host, {
        context: storeContext,
        subscribe: true,
        callback: (provided) => {
          this.store = provided
          if (this.connected) this.attach()
        },
      })
    }
    host.addController(this)
  }

  get key(): string {
    return this.currentKey
  }

  set key(key: string) {
    if (key === this.currentKey) return
    this.currentKey = key
    this.value = undefined
    if (this.connected) this.attach()
  }

  hostConnected(): void {
    this.connected = true
    this.attach()
  }

  hostDisconnected(): void {
    this.connected = false
    this.detach()
  }

  private detach() {
    this.release?.()
    this.release = undefined
  }

  /** (Re)subscribes to the current store and key; every path out releases everything. */
  private attach() {
    this.detach()
    const store = this.store
    if (store === undefined) return
    const { view, release } = acquireView(store, this.projection)
    let offValue: (() => void) | undefined
    let offStatus: (() => void) | undefined
    let live = true
    this.release = () => {
      live = false
      offValue?.()
      offStatus?.()
      release()
    }
    const key = this.currentKey
    view.then(
      (v) => {
        if (!live) return
        this.status = v.status()
        offStatus = v.onStatus((s) => {
          this.status = s
          this.host.requestUpdate()
        })
        offValue = v.subscribe(key, (value) => {
          this.value = value
          this.error = undefined
          this.host.requestUpdate()
        })
        this.host.requestUpdate()
      },
      (err: unknown) => {
        if (!live) return
        this.error = isBrookError(err)
          ? err
          : BrookError.create('STORAGE_UNAVAILABLE', String(err), { reason: String(err) }, err)
        this.host.requestUpdate()
      },
    )
  }
}
