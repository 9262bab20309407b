import type { ReactiveController, ReactiveControllerHost } from 'lit'

/**
 * What {@link FollowTail} needs from its element: a reactive `follow` switch.
 *
 * @example
 * ```ts
 * class MyList extends LitElement implements FollowTailHost { declare follow: boolean }
 * ```
 */
export interface FollowTailHost extends ReactiveControllerHost, HTMLElement {
  follow: boolean
}

/**
 * How long after a wheel turn or key press scroll events still count as the user's: this
 * long (a smooth scroll lasts about 300 ms) and at least this many frames (scroll events are
 * dispatched with frames, which a loaded machine delays).
 */
const INTENT_MS = 400
const INTENT_FRAMES = 3

/**
 * Keeps a virtualised list on its newest row while `host.follow` is on, and turns following
 * off when the user scrolls up (on again when they scroll back down to the end).
 *
 * Only scrolls the user caused count: a wheel turn, a scrollbar drag or touch (pointer down),
 * a scrolling key. The virtualizer moves `scrollTop` itself too (it keeps the rows in view
 * in place when items change, and corrects its estimates once rows are measured), and
 * those moves must not stop following. Not the virtualizer's `pin` either: re-pinned on
 * every append, it takes the user's scrolls for its own corrections and undoes them.
 *
 * @example
 * ```ts
 * readonly #tail = new FollowTail(this, () => this.renderRoot.querySelector('.list'), () => this.#items.length)
 * // in render: <div class="list" @scroll=${this.#tail.onScroll} @wheel=${this.#tail.onWheel} …>
 * // after an update that changed the rows: this.#tail.rowsChanged()
 * ```
 */
export class FollowTail implements ReactiveController {
  readonly #host: FollowTailHost
  readonly #list: () => HTMLElement | null
  readonly #rows: () => number
  readonly #atEnd: () => boolean
  #lastTop = 0
  #intentUntil = 0
  #intentFrames = 0
  #pointerDown = false
  #scrolling = false

  /**
   * `list` finds the scroller, `rows` counts its rows, `atEnd` says whether its last row is
   * the newest (a list showing a window of a longer log is not).
   */
  constructor(host: FollowTailHost, list: () => HTMLElement | null, rows: () => number, atEnd = () => true) {
    this.#host = host
    this.#list = list
    this.#rows = rows
    this.#atEnd = atEnd
    host.addController(this)
  }

  hostDisconnected(): void {
    this.#pointerDown = false
    this.#intentUntil = 0
    this.#intentFrames = 0
  }

  /** Height of one row (all rows have one height; the list's layout relies on it). */
  rowHeight(): number {
    return this.#list()?.querySelector('[role="option"], [role="listitem"]')?.getBoundingClientRect().height || 28
  }

  /** Call when the rows changed or following was turned on: scrolls to the end if following. */
  rowsChanged(): void {
    if (this.#host.follow) void this.#scrollToEnd()
  }

  /** Scrolls the least needed to bring row `index` into view (`scrollIntoView` would scroll the page too). */
  reveal(index: number): void {
    const list = this.#list()
    if (list === null) return
    // Rows are of one height, so the virtualizer places row i at i × height.
    const height = this.rowHeight()
    const top = index * height
    if (top < list.scrollTop) list.scrollTop = top
    else if (top + height > list.scrollTop + list.clientHeight) list.scrollTop = top + height - list.clientHeight
    this.#lastTop = list.scrollTop
  }

  /** A passive listener (bind with `@wheel=${tail.onWheel}`): it never delays scrolling. */
  readonly onWheel = {
    passive: true,
    handleEvent: (e: WheelEvent): void => {
      this.#intend()
      // Stop at once: during a burst of appends the next scroll event may already be ours.
      if (e.deltaY < 0) this.#host.follow = false
    },
  }

  readonly onPointerDown = (): void => {
    this.#pointerDown = true
    const up = () => {
      this.#pointerDown = false
      this.#intend()
      window.removeEventListener('pointerup', up, true)
      window.removeEventListener('pointercancel', up, true)
    }
    // On window: a scrollbar drag may end outside the list.
    window.addEventListener('pointerup', up, true)
    window.addEventListener('pointercancel', up, true)
  }

  /** Keys that scroll the list natively (the element handles its own navigation keys). */
  readonly onKeyDown = (e: KeyboardEvent): void => {
    if (e.key === ' ' || e.key === 'PageDown' || e.key === 'PageUp') this.#intend()
  }

  /** Marks the scrolls of the next moments as the user's. */
  #intend(): void {
    const counting = this.#intentFrames > 0
    this.#intentUntil = performance.now() + INTENT_MS
    this.#intentFrames = INTENT_FRAMES
    if (counting) return
    const tick = () => {
      if (this.#intentFrames <= 0) return
      this.#intentFrames -= 1
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  }

  #intended(): boolean {
    return this.#pointerDown || this.#intentFrames > 0 || performance.now() < this.#intentUntil
  }

  readonly onScroll = (): void => {
    const list = this.#list()
    if (list === null) return
    const top = list.scrollTop
    const moved = top - this.#lastTop
    this.#lastTop = top
    if (!this.#intended()) return
    const bottom = atBottom(list, this.rowHeight()) && this.#atEnd()
    if (this.#host.follow && !bottom && moved < -1) this.#host.follow = false
    else if (!this.#host.follow && bottom && moved > 1) this.#host.follow = true
  }

  /**
   * Scrolls to the end a frame at a time until the list is at its end with every row laid
   * out (with rows of one height, the scroll height tells): the virtualizer applies new
   * items, measures rows and re-anchors asynchronously.
   */
  async #scrollToEnd(): Promise<void> {
    if (this.#scrolling) return
    this.#scrolling = true
    try {
      // Bounded: a list that never settles (zero height) must not spin every frame; the
      // next change starts again.
      for (let frame = 0, settled = 0; frame < 120 && settled < 2; frame++) {
        await new Promise((resolve) => requestAnimationFrame(resolve))
        const list = this.#list()
        if (!this.#host.follow || !this.#host.isConnected || list === null || list.clientHeight === 0) return
        const height = this.rowHeight()
        const laidOut = Math.abs(list.scrollHeight - Math.max(this.#rows() * height, list.clientHeight)) < height
        if (laidOut && atBottom(list, 1)) settled += 1
        else {
          settled = 0
          list.scrollTop = list.scrollHeight
          this.#lastTop = list.scrollTop
        }
      }
    } finally {
      this.#scrolling = false
    }
  }
}

/** Whether `list` is scrolled to within `slack` pixels of its end. */
function atBottom(list: HTMLElement, slack: number): boolean {
  return list.scrollTop + list.clientHeight >= list.scrollHeight - slack
}
