import { css, html, LitElement, nothing } from 'lit'
import type { EventStore } from '@brook/core'
import type { ConsumerList } from './consumers.ts'
import { defineElement } from './define.ts'
import { theme } from './theme.ts'
import './consumers.ts'
import './log-view.ts'
import './streams.ts'

/**
 * The inspector's panels, in tab order.
 *
 * @example
 * ```ts
 * for (const tab of INSPECTOR_TABS) console.log(tab) // 'log', 'streams', 'consumers'
 * ```
 */
export const INSPECTOR_TABS = ['log', 'streams', 'consumers'] as const

/**
 * One of the inspector's panels.
 *
 * @example
 * ```ts
 * inspector.addEventListener('brook-tab-change', (e) => localStorage.setItem('tab', e.detail.tab))
 * inspector.tab = (localStorage.getItem('tab') ?? 'log') as InspectorTab
 * ```
 */
export type InspectorTab = (typeof INSPECTOR_TABS)[number]

const LABELS: Record<InspectorTab, string> = { log: 'Log', streams: 'Streams', consumers: 'Consumers' }

/**
 * `<brook-inspector>`: the devtools of an app built on Brook, in three tabs: the live log
 * (`<brook-log-view>`), the streams with their versions (`<brook-streams>`) and the consumers
 * (`<brook-consumers>`). A panel starts working when its tab is first opened and is then
 * kept (hidden) so its scroll position and filters survive tab switches.
 *
 * Keyboard: the tabs follow the WAI-ARIA tabs pattern (←/→, Home/End move between tabs).
 * Properties: `store`, `consumers` (as for `<brook-consumers>`), `tab` (attribute `tab`:
 * `'log'`, `'streams'` or `'consumers'`). Fires `brook-tab-change` (detail: `{ tab }`)
 * when the user switches tabs.
 *
 * @example
 * ```ts
 * const inspector = document.createElement('brook-inspector')
 * inspector.store = store
 * inspector.consumers = { totals }
 * document.body.append(inspector)
 * ```
 */
export class BrookInspector extends LitElement {
  static override properties = {
    store: { attribute: false },
    consumers: { attribute: false },
    tab: { reflect: true },
  }

  declare store: EventStore | undefined
  declare consumers: ConsumerList
  declare tab: InspectorTab

  readonly #opened = new Set<InspectorTab>()

  constructor() {
    super()
    this.store = undefined
    this.consumers = []
    this.tab = 'log'
  }

  protected override willUpdate(): void {
    this.#opened.add(this.#current())
  }

  #current(): InspectorTab {
    return INSPECTOR_TABS.includes(this.tab) ? this.tab : 'log'
  }

  override render() {
    const current = this.#current()
    return html`
      <div role="tablist" aria-label="Brook inspector" @keydown=${this.#onKey}>
        ${INSPECTOR_TABS.map(
          (tab) =>
            html`<button
              role="tab"
              id=${`tab-${tab}`}
              aria-controls=${`panel-${tab}`}
              aria-selected=${tab === current ? 'true' : 'false'}
              tabindex=${tab === current ? 0 : -1}
              @click=${() => this.#choose(tab)}
            >
              ${LABELS[tab]}
            </button>`,
        )}
      </div>
      ${INSPECTOR_TABS.map(
        (tab) =>
          html`<section role="tabpanel" id=${`panel-${tab}`} aria-labelledby=${`tab-${tab}`} ?hidden=${tab !== current}>
            ${this.#opened.has(tab) ? this.#panel(tab) : nothing}
          </section>`,
      )}
    `
  }

  #panel(tab: InspectorTab) {
    if (tab === 'log') return html`<brook-log-view .store=${this.store}></brook-log-view>`
    if (tab === 'streams') return html`<brook-streams .store=${this.store}></brook-streams>`
    return html`<brook-consumers .consumers=${this.consumers}></brook-consumers>`
  }

  #choose(tab: InspectorTab, focus = false): void {
    if (tab !== this.tab) {
      this.tab = tab
      this.dispatchEvent(new CustomEvent('brook-tab-change', { detail: { tab }, bubbles: true, composed: true }))
    }
    if (focus) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${tab}`)?.focus())
  }

  readonly #onKey = (e: KeyboardEvent) => {
    const at = INSPECTOR_TABS.indexOf(this.#current())
    const last = INSPECTOR_TABS.length - 1
    const next =
      e.key === 'ArrowRight'
        ? (at + 1) % INSPECTOR_TABS.length
        : e.key === 'ArrowLeft'
          ? (at + last) % INSPECTOR_TABS.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? last
              : undefined
    const tab = next === undefined ? undefined : INSPECTOR_TABS[next]
    if (tab === undefined) return
    e.preventDefault()
    this.#choose(tab, true)
  }

  static override styles = [
    theme,
    css`
      [role='tablist'] {
        display: flex;
        gap: 0.25rem;
        border-bottom: 1px solid var(--_border);
        padding: 0.25rem 0.5rem 0;
      }
      [role='tab'] {
        border: 1px solid transparent;
        border-bottom: none;
        border-radius: 6px 6px 0 0;
        padding: 0.35rem 0.9rem;
        background: transparent;
      }
      [role='tab'][aria-selected='true'] {
        border-color: var(--_border);
        background: var(--_bg);
        box-shadow: inset 0 2px 0 var(--_accent);
        font-weight: 600;
      }
    `,
  ]
}

defineElement('brook-inspector', BrookInspector)

declare global {
  interface HTMLElementTagNameMap {
    'brook-inspector': BrookInspector
  }
  interface HTMLElementEventMap {
    'brook-tab-change': CustomEvent<{ tab: InspectorTab }>
  }
}
