// The CEP case's pipeline as a consumer: a sliding 60 s average per device over the readings
// log (readings.ts). As with fold.consumer.ts, the page passes the consumer's name in the
// module's URL (`cep.consumer.ts?name=...&emit=none|alerts`) and the store as startConsumer's
// `store`.
import { avg, pipeline, sliding } from '@brook/cep'
import { runConsumer } from '@brook/worker/worker'
import { ALERT_AVERAGE, CEP_BATCH, OUT_OF_ORDER_MS, READING_TYPE, WINDOW_MS, type ReadingEvent } from './readings.ts'

const ALERT_TYPE = 'AverageHigh'

/** How the pipeline emits: nothing at all, or an alert per window averaging {@link ALERT_AVERAGE} or more. */
type CepEmit = 'none' | 'alerts'

/**
 * The pipeline of the CEP case: per device, the average of its readings over the last
 * 60 s, at every reading. With `'none'`, every window's average is computed and nothing is
 * appended (`emit` returns null); with `'alerts'`, windows averaging {@link ALERT_AVERAGE}
 * or more (about 3 % of them here) each append an `AverageHigh` event to `alerts-<device>`,
 * in the batch's transaction.
 */
function averagesPipeline(name: string, emit: CepEmit) {
  const averages = pipeline<ReadingEvent>(name)
    .from({ types: [READING_TYPE] })
    .keyBy((e) => e.stream)
    .window(sliding({ size: WINDOW_MS, outOfOrder: OUT_OF_ORDER_MS, time: (e) => e.data.at }))
    .aggregate(avg((e) => e.data.value))
  if (emit === 'none') return averages.emit(() => null)
  return averages
    .filter((r) => r.value >= ALERT_AVERAGE)
    .emit((r) => ({
      stream: `alerts-${r.key}`,
      type: ALERT_TYPE,
      data: { device: r.key, at: r.end, average: r.value },
    }))
}

const query = new URL(self.location.href).searchParams

runConsumer(
  averagesPipeline(query.get('name') ?? 'bench-cep', query.get('emit') === 'alerts' ? 'alerts' : 'none').toConsumer({
    // Always overridden: the page starts it with `store` set to the readings log.
    store: 'bench-unset',
    batchSize: CEP_BATCH,
  }),
)
