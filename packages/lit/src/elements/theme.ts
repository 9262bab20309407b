import { css } from 'lit'

/**
 * The look shared by every `<brook-*>` element. A host page themes them through public
 * custom properties, which win in both schemes:
 *
 * `--brook-bg`, `--brook-fg`, `--brook-muted`, `--brook-border`, `--brook-stripe`,
 * `--brook-accent`, `--brook-selected`, `--brook-danger`, `--brook-focus`, `--brook-font`,
 * `--brook-font-mono`, `--brook-row-height`.
 *
 * Each element reads them through a private twin (`--_bg` …) whose fallback depends on
 * `prefers-color-scheme`, so the defaults follow the page's light/dark scheme while a value
 * set by the page stays put.
 *
 * @example
 * ```css
 * brook-inspector { --brook-accent: rebeccapurple; --brook-font: 14px/1.5 Inter, sans-serif; }
 * ```
 */
export const theme = css`
  :host {
    color-scheme: light dark;
    --_bg: var(--brook-bg, #ffffff);
    --_fg: var(--brook-fg, #1f2328);
    --_muted: var(--brook-muted, #59636e);
    --_border: var(--brook-border, #d1d9e0);
    --_stripe: var(--brook-stripe, #f6f8fa);
    --_accent: var(--brook-accent, #0969da);
    --_selected: var(--brook-selected, #ddf4ff);
    --_danger: var(--brook-danger, #cf222e);
    --_focus: var(--brook-focus, #0969da);
    --_mono: var(--brook-font-mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
    --_row: var(--brook-row-height, 1.75rem);
    display: block;
    background: var(--_bg);
    color: var(--_fg);
    font: var(--brook-font, 13px/1.4 system-ui, sans-serif);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_bg: var(--brook-bg, #0d1117);
      --_fg: var(--brook-fg, #e6edf3);
      --_muted: var(--brook-muted, #9198a1);
      --_border: var(--brook-border, #3d444d);
      --_stripe: var(--brook-stripe, #151b23);
      --_accent: var(--brook-accent, #4493f8);
      --_selected: var(--brook-selected, #12325a);
      --_danger: var(--brook-danger, #f85149);
      --_focus: var(--brook-focus, #4493f8);
    }
  }
  [hidden] {
    display: none !important;
  }
  button,
  input,
  select {
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 4px;
    padding: 0.2rem 0.5rem;
  }
  button {
    cursor: pointer;
  }
  button:disabled {
    cursor: default;
    opacity: 0.5;
  }
  button:not(:disabled):hover {
    border-color: var(--_accent);
  }
  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 1px;
  }
  .muted {
    color: var(--_muted);
  }
  .mono {
    font-family: var(--_mono);
  }
  [role='alert'] {
    color: var(--_danger);
  }
`
