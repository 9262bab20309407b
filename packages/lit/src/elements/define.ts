/**
 * Registers `ctor` under `tag` unless the tag is taken. A page can evaluate this package
 * twice (two bundles, hot reload), and a second `customElements.define` of a tag throws.
 * Outside a browser (SSR, Node tests importing the package) there is no registry: a no-op.
 *
 * @example
 * ```ts
 * defineElement('brook-log-view', BrookLogView)
 * ```
 */
export function defineElement(tag: string, ctor: CustomElementConstructor): void {
  if (typeof customElements === 'undefined' || customElements.get(tag) !== undefined) return
  customElements.define(tag, ctor)
}
