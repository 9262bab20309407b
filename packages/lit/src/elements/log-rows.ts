import { html, nothing } from 'lit'
import type { RecordedEvent } from '@brook/core'
import { dataPreview, formatTime, prettyJson } from './format.ts'

/**
 * Where a row sits in the whole list, for assistive technology (only a window is in the DOM).
 *
 * @example
 * ```ts
 * const place: RowPlace = { posinset: 42, setsize: 100_000, selected: false, onClick: () => select(41) }
 * ```
 */
export interface RowPlace {
  /** 1-based place among all listed events. */
  posinset: number
  setsize: number
  selected: boolean
  onClick: () => void
}

/**
 * One row of `<brook-log-view>`: position, time, stream@version, type and one line of data,
 * or a placeholder while the event's page loads. Every value goes through a text binding,
 * so markup inside event data, stream names or types shows as text and never runs.
 *
 * @example
 * ```ts
 * renderItem: (position, i) => logRow(position, cache.get(position), { posinset: i + 1, setsize, selected, onClick })
 * ```
 */
export function logRow(position: number, event: RecordedEvent | undefined, place: RowPlace) {
  return html`<div
    class=${position % 2 === 0 ? 'row even' : 'row'}
    role="option"
    id=${`event-${position}`}
    data-position=${position}
    aria-selected=${place.selected ? 'true' : 'false'}
    aria-posinset=${place.posinset}
    aria-setsize=${place.setsize}
    @click=${place.onClick}
  >
    <span class="pos">${position}</span>
    ${
      event === undefined
        ? html`<span class="muted">loading…</span>`
        : html`<span class="time" title=${isoTime(event.time)}>${formatTime(event.time)}</span
            ><span class="stream" title=${event.stream}
              >${event.stream}<span class="muted">@${event.version}</span></span
            ><span class="type" title=${event.type}>${event.type}</span
            ><span class="data mono">${dataPreview(event)}</span>`
    }
  </div>`
}

/**
 * The selected event in full: envelope fields, and data and meta as indented JSON text.
 *
 * @example
 * ```ts
 * html`${selected === undefined ? nothing : eventDetail(selected)}`
 * ```
 */
export function eventDetail(event: RecordedEvent) {
  return html`<section class="detail" aria-label=${`Event ${event.position}`}>
    <dl>
      <dt>position</dt>
      <dd>${event.position}</dd>
      <dt>stream</dt>
      <dd class="stream">${event.stream} @ ${event.version}</dd>
      <dt>type</dt>
      <dd>${event.type}</dd>
      <dt>time</dt>
      <dd>${isoTime(event.time)}</dd>
      <dt>id</dt>
      <dd class="mono">${event.id}</dd>
      <dt>origin</dt>
      <dd class="mono">${event.origin}</dd>
    </dl>
    <pre class="mono" aria-label="data">${prettyJson(event.data)}</pre>
    ${
      Object.keys(event.meta).length === 0
        ? nothing
        : html`<pre class="mono" aria-label="meta">${prettyJson(event.meta)}</pre>`
    }
  </section>`
}

/**
 * Filter suggestions: the first 100 names (a datalist of every stream of a big log would be a
 * DOM of its own).
 *
 * @example
 * ```ts
 * html`<input list="streams" />${suggestions('streams', index.streamNames)}`
 * ```
 */
export function suggestions(id: string, names: readonly string[] | undefined) {
  return html`<datalist id=${id}>
    ${(names ?? []).slice(0, 100).map((n) => html`<option value=${n}></option>`)}
  </datalist>`
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : ''
}
