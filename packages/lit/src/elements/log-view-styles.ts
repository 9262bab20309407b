import { css } from 'lit'
import { theme } from './theme.ts'

/**
 * Styles of `<brook-log-view>`: the shared {@link theme}, a toolbar, and one-line rows of a
 * single height (`--brook-row-height`), which the view's scrolling relies on.
 *
 * @example
 * ```ts
 * static override styles = logViewStyles
 * ```
 */
export const logViewStyles = [
  theme,
  css`
    .toolbar {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem 1rem;
      align-items: center;
      padding: 0.5rem;
    }
    .toolbar label,
    .toolbar form {
      display: inline-flex;
      gap: 0.35rem;
      align-items: center;
    }
    input[type='number'] {
      width: 10ch;
    }
    .count {
      margin-left: auto;
    }
    .window {
      display: flex;
      gap: 0.75rem;
      align-items: center;
      padding: 0.25rem 0.5rem;
    }
    .list {
      height: var(--brook-log-height, 20rem);
      border-top: 1px solid var(--_border);
      border-bottom: 1px solid var(--_border);
    }
    .row {
      display: grid;
      grid-template-columns: 8ch 11ch minmax(6rem, 14rem) minmax(6rem, 14rem) minmax(0, 1fr);
      gap: 0.75rem;
      align-items: center;
      box-sizing: border-box;
      width: 100%;
      height: var(--_row);
      padding: 0 0.5rem;
      white-space: nowrap;
      cursor: default;
    }
    .row > span {
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .row.even {
      background: var(--_stripe);
    }
    .row[aria-selected='true'] {
      background: var(--_selected);
      box-shadow: inset 3px 0 0 var(--_accent);
    }
    .head {
      color: var(--_muted);
      font-weight: 600;
    }
    .pos {
      color: var(--_muted);
      font-variant-numeric: tabular-nums;
    }
    .time {
      font-variant-numeric: tabular-nums;
    }
    .type {
      font-weight: 600;
    }
    .detail {
      padding: 0.5rem;
      max-height: 16rem;
      overflow: auto;
    }
    .detail dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.1rem 1rem;
      margin: 0;
    }
    .detail dt {
      color: var(--_muted);
    }
    .detail dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    .detail pre {
      margin: 0.5rem 0 0;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
  `,
]
