/**
 * The lease (Web Lock, see `holdLease`) that instance `consumer` of store `store` holds while
 * it runs, and waits for while it stands by. With `leaseInUse`, tells whether any instance
 * of a consumer is alive anywhere in the origin.
 *
 * @example
 * ```ts
 * const alive = await leaseInUse(consumerLeaseName('shop', 'projection:carts@1'))
 * ```
 */
export const consumerLeaseName = (store: string, consumer: string): string =>
  // The store part is escaped (no ':' left in it), so the first ':' splits the name one way
  // only: store 'a:b' with consumer 'c' and store 'a' with consumer 'b:c' hold two leases.
  `${encodeURIComponent(store)}:${consumer}`
