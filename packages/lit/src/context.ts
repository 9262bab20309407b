import { ContextProvider, createContext } from '@lit/context'
import type { ReactiveControllerHost } from 'lit'
import type { EventStore } from '@brook/core'

/**
 * The event store elements read from, provided once near the root so elements need not be
 * wired by hand. `ProjectionController` and the `<brook-*>` elements consume it when no
 * store is passed to them.
 */
export const storeContext = createContext<EventStore | undefined>(Symbol.for('brook:store'))

/**
 * Provides `store` to every element below `host` (re-provide to change it).
 *
 * @example
 * ```ts
 * class ShopApp extends LitElement {
 *   private provider = provideStore(this)
 *   async connectedCallback() {
 *     super.connectedCallback()
 *     this.provider.setValue(await openEventStore('shop'))
 *   }
 * }
 * ```
 */
export function provideStore(
  host: ReactiveControllerHost & HTMLElement,
  store?: EventStore,
): ContextProvider<typeof storeContext> {
  return new ContextProvider(host, { context: storeContext, initialValue: store })
}
