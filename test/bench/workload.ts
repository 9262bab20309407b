import type { Appender } from './appender.ts'
import type { Measurement, Shape } from './cases.ts'
import type { ItemAdded } from './payload.ts'

// Single appends spread over this many streams: an app appends to many aggregates, and
// Brook looks up each touched stream's version, so one hot stream would flatter it.
const SINGLE_STREAMS = 100

/**
 * Writes `data` through `appender` in the given shape and times it. The clock runs from the
 * first call to the last commit; opening and closing the database are outside it. Stops
 * early (between calls) once `capMs` has passed, and reports what was written.
 */
export async function runWorkload(
  appender: Appender,
  shape: Shape,
  data: readonly ItemAdded[],
  capMs: number,
): Promise<Measurement> {
  const start = performance.now()
  const overdue = () => performance.now() - start > capMs
  let written = 0
  switch (shape.kind) {
    case 'single':
      for (let i = 0; i < data.length && !overdue(); i++) {
        await appender.append(`stream-${i % SINGLE_STREAMS}`, data.slice(i, i + 1))
        written += 1
      }
      break
    case 'concurrent': {
      // Each worker owns a stream and awaits each append, like `workers` independent callers
      // (UI handlers, tabs' requests) that happen to write at the same time.
      const worker = async (w: number) => {
        for (let i = w; i < data.length && !overdue(); i += shape.workers) {
          await appender.append(`worker-${w}`, data.slice(i, i + 1))
          written += 1
        }
      }
      await Promise.all(Array.from({ length: shape.workers }, (_, w) => worker(w)))
      break
    }
    case 'batch':
      for (let i = 0; i < data.length && !overdue(); i += shape.size) {
        const batch = data.slice(i, i + shape.size)
        await appender.append(`batch-${i / shape.size}`, batch)
        written += batch.length
      }
      break
  }
  return { events: written, ms: performance.now() - start }
}
