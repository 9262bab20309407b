import { css, html, nothing } from 'lit'
import type { ConsumerGroupStatus, ConsumerHandle } from '@brook/worker'
import { formatCount } from './format.ts'
import { theme } from './theme.ts'

/**
 * A parked event, as `ConsumerHandle.parked()` lists it.
 *
 * @example
 * ```ts
 * const parked: ParkedEvent[] = await handle.parked() // [{ position, type, stream, error, attempts }]
 * ```
 */
export type ParkedEvent = Awaited<ReturnType<ConsumerHandle['parked']>>[number]

/**
 * What `<brook-consumers>` knows of one consumer.
 *
 * @example
 * ```ts
 * const row: ConsumerRow = { label: 'totals', status: undefined, parked: [], parkedAt: 0, problem: '', busy: false, resetTo: '' }
 * ```
 */
export interface ConsumerRow {
  label: string
  status: ConsumerGroupStatus | undefined
  parked: ParkedEvent[]
  /** The parked count the list above was read at (-1: read it again). */
  parkedAt: number
  problem: string
  busy: boolean
  /** The position typed for "Reset to position". */
  resetTo: string
}

/**
 * What a card's controls do: run an action on the consumer (named for error messages), or
 * note that the row was edited.
 *
 * @example
 * ```ts
 * consumerCard(handle, row, { act: (what, run) => this.#act(handle, what, run), changed: () => this.requestUpdate() })
 * ```
 */
export interface CardActions {
  act(what: string, action: () => Promise<unknown>): Promise<void>
  changed(): void
}

/**
 * One consumer's card: its figures, its controls (real buttons and a form, each labelled
 * with the consumer's name), any problem, and its parked events. Text bindings only.
 *
 * @example
 * ```ts
 * html`${[...rows].map(([handle, row]) => consumerCard(handle, row, actions))}`
 * ```
 */
export function consumerCard(handle: ConsumerHandle, row: ConsumerRow, on: CardActions) {
  const s = row.status
  const name = s?.name ?? row.label
  const state = s?.state ?? 'unknown'
  const target = Number(row.resetTo)
  const validTarget = row.resetTo.trim() !== '' && Number.isSafeInteger(target) && target >= 1
  const off = row.busy || s === undefined
  return html`<section class="consumer" aria-label=${`Consumer ${name}`}>
    <header>
      <h3>${name}</h3>
      <span class=${`state ${state}`}>${state}</span>
      ${row.busy ? html`<span class="muted">working…</span>` : nothing}
    </header>
    <dl>
      ${figures(s).map(
        ([term, value]) =>
          html`<div>
            <dt>${term}</dt>
            <dd>${value}</dd>
          </div>`,
      )}
    </dl>
    ${row.problem === '' ? nothing : html`<p role="alert">${row.problem}</p>`}
    <div class="actions" role="group" aria-label=${`Controls of ${name}`}>
      <button
        aria-label=${`Pause ${name}`}
        ?disabled=${off || state === 'paused'}
        @click=${() => on.act('pause', () => handle.pause())}
      >
        Pause
      </button>
      <button
        aria-label=${`Resume ${name}`}
        ?disabled=${off || state === 'running'}
        @click=${() => on.act('resume', () => handle.resume())}
      >
        Resume
      </button>
      <button
        aria-label=${`Reset ${name} to the start`}
        title="Replays the whole log and clears the consumer's state"
        ?disabled=${off}
        @click=${() => on.act('reset', () => handle.reset('start'))}
      >
        Reset to start
      </button>
      <form
        @submit=${(e: Event) => {
          e.preventDefault()
          if (validTarget) void on.act('reset', () => handle.reset(target))
        }}
      >
        <label
          >Position
          <input
            type="number"
            min="1"
            step="1"
            inputmode="numeric"
            .value=${row.resetTo}
            @input=${(e: Event) => {
              row.resetTo = (e.target as HTMLInputElement).value
              on.changed()
            }}
        /></label>
        <button aria-label=${`Reset ${name} to position`} ?disabled=${off || !validTarget}>Reset to position</button>
      </form>
      <button
        aria-label=${`Replay parked events of ${name}`}
        ?disabled=${off || (s?.parked ?? 0) === 0}
        @click=${() => on.act('replay', () => handle.replayParked())}
      >
        Replay parked
      </button>
    </div>
    ${row.parked.length === 0 ? nothing : parkedTable(name, row.parked)}
  </section>`
}

function figures(s: ConsumerGroupStatus | undefined): [string, string][] {
  const n = (value: number | undefined) => (value === undefined ? '—' : formatCount(value))
  return [
    ['position', n(s?.position)],
    ['head', n(s?.head)],
    ['lag', n(s?.lag)],
    ['rate', s === undefined ? '—' : `${formatCount(Math.round(s.rate))}/s`],
    ['parked', n(s?.parked)],
  ]
}

function parkedTable(name: string, parked: readonly ParkedEvent[]) {
  return html`<table>
    <caption>
      Parked events of ${name}
    </caption>
    <thead>
      <tr>
        <th scope="col">position</th>
        <th scope="col">type</th>
        <th scope="col">stream</th>
        <th scope="col">attempts</th>
        <th scope="col">error</th>
      </tr>
    </thead>
    <tbody>
      ${parked.map(
        (p) =>
          html`<tr>
            <td>${p.position}</td>
            <td>${p.type}</td>
            <td>${p.stream}</td>
            <td>${p.attempts}</td>
            <td class="mono">${p.error}</td>
          </tr>`,
      )}
    </tbody>
  </table>`
}

/**
 * Styles of `<brook-consumers>`.
 *
 * @example
 * ```ts
 * static override styles = consumerStyles
 * ```
 */
export const consumerStyles = [
  theme,
  css`
    :host {
      padding: 0.5rem;
    }
    .consumer {
      border: 1px solid var(--_border);
      border-radius: 6px;
      padding: 0.5rem 0.75rem;
      margin-bottom: 0.75rem;
    }
    header {
      display: flex;
      gap: 0.75rem;
      align-items: baseline;
    }
    h3 {
      margin: 0;
      font-size: 1em;
    }
    .state {
      font-weight: 600;
    }
    .state.running {
      color: var(--_accent);
    }
    .state.failed {
      color: var(--_danger);
    }
    dl {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 1.5rem;
      margin: 0.5rem 0;
    }
    dt {
      color: var(--_muted);
      font-size: 0.85em;
    }
    dd {
      margin: 0;
      font-variant-numeric: tabular-nums;
    }
    .actions,
    form {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
    }
    input[type='number'] {
      width: 8ch;
    }
    table {
      border-collapse: collapse;
      margin-top: 0.5rem;
      width: 100%;
    }
    caption {
      text-align: left;
      color: var(--_muted);
    }
    th,
    td {
      text-align: left;
      padding: 0.15rem 0.5rem;
      border-bottom: 1px solid var(--_border);
      overflow-wrap: anywhere;
    }
  `,
]
