import { isBrookError, type RecordedEvent } from '@brook/core'

const clock = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hourCycle: 'h23',
})

/**
 * An event's recorder time as local wall-clock time with milliseconds.
 *
 * @example
 * ```ts
 * formatTime(event.time) // '14:03:27.120'
 * ```
 */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) ? clock.format(ms) : '—'
}

const previews = new WeakMap<RecordedEvent, string>()

/**
 * An event's data as one line of JSON, cut at `max` characters. Memoised per event: a row is
 * rendered again on every scroll step, and data can be up to 1 MiB.
 *
 * @example
 * ```ts
 * html`<span>${dataPreview(event)}</span>` // a text binding: never parsed as HTML
 * ```
 */
export function dataPreview(event: RecordedEvent, max = 240): string {
  let text = previews.get(event)
  if (text === undefined) {
    const json = JSON.stringify(event.data) ?? String(event.data)
    text = json.length > max ? `${json.slice(0, max)}…` : json
    previews.set(event, text)
  }
  return text
}

/**
 * A value as indented JSON, for the detail of one event.
 *
 * @example
 * ```ts
 * html`<pre>${prettyJson(event.data)}</pre>`
 * ```
 */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value)
}

/**
 * A thrown value as one line for the UI: `CODE: message` for a `BrookError`.
 *
 * @example
 * ```ts
 * this.problem = errorText(err) // 'STORE_CLOSED: the store is closed'
 * ```
 */
export function errorText(err: unknown): string {
  if (isBrookError(err)) return `${err.code}: ${err.message}`
  return err instanceof Error ? err.message : String(err)
}

/**
 * A count with the page's digit grouping.
 *
 * @example
 * ```ts
 * formatCount(100000) // '100,000' in English
 * ```
 */
export function formatCount(n: number): string {
  return n.toLocaleString()
}
