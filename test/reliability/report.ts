import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A scenario's figures, merged across test files by run.mjs into the report. */
export interface PartialReport {
  file: string
  faults: Record<string, { injected: number; survived: number }>
  harnessErrors: { count: number; reasons: string[] }
  /** Counts that must be 0. */
  zero: Record<string, number>
  /** Informational counts (acknowledged appends, recovered, …). */
  totals: Record<string, number>
  /** Samples (ms and other measures) to summarise as p50/p95/max. */
  samples: Record<string, number[]>
  /** "n of n" checks: detected/rejected/surfaced out of attempted. */
  ratios: Record<string, { ok: number; of: number }>
  notRun: Record<string, string>
  /** Each scenario, with the engine its iterations ran in. */
  scenarios: Record<string, { status: 'passed' | 'failed'; iterations: number; problems: string[]; engine: string }>
  /**
   * The same figures split by engine, with what each fault is in that engine and anything
   * an engine did not run (or ran differently), keyed by engine name.
   */
  engines: Record<string, EngineReport>
}

/** One engine's share of a file's figures. */
export interface EngineReport extends Buffer {
  iterations: number
  /** Harness failures retried in this engine (never counted as passes). */
  harnessErrors: number
  /** Fault → how it is injected in this engine. */
  faultMechanisms: Record<string, string>
  /** What differs in this engine: a fault not injected, a case skipped, and why. */
  differences: Record<string, string>
}

/** Thrown for a failure of the harness itself (launch, navigation, dump): retried, counted apart. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError'
}

/** Runs a harness step: any failure becomes a {@link HarnessError}. */
export async function harness<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (err) {
    throw new HarnessError(`${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
  }
}

interface Buffer {
  faults: Record<string, { injected: number; survived: number }>
  zero: Record<string, number>
  totals: Record<string, number>
  samples: Record<string, number[]>
  ratios: Record<string, { ok: number; of: number }>
}

const emptyBuffer = (): Buffer => ({ faults: {}, zero: {}, totals: {}, samples: {}, ratios: {} })

/** What an iteration records; kept only if the iteration was not cut short by the harness. */
export class Recorder {
  constructor(readonly into: Buffer = emptyBuffer()) {}
  fault(type: string, survived: boolean): void {
    const f = (this.into.faults[type] ??= { injected: 0, survived: 0 })
    f.injected += 1
    if (survived) f.survived += 1
  }
  zero(name: string, n: number): void {
    this.into.zero[name] = (this.into.zero[name] ?? 0) + n
  }
  total(name: string, n: number): void {
    this.into.totals[name] = (this.into.totals[name] ?? 0) + n
  }
  sample(name: string, value: number): void {
    ;(this.into.samples[name] ??= []).push(value)
  }
  ratio(name: string, ok: boolean): void {
    const r = (this.into.ratios[name] ??= { ok: 0, of: 0 })
    r.of += 1
    if (ok) r.ok += 1
  }
  /** Adds every field of `counts`: those in `zeroKeys` as must-be-zero, the rest as totals. */
  counts<T extends object>(counts: T, zeroKeys: readonly (keyof T)[]): void {
    for (const [k, v] of Object.entries(counts)) {
      if (typeof v !== 'number') continue
      if (zeroKeys.includes(k as keyof T)) this.zero(k, v)
      else this.total(k, v)
    }
  }
}

const MAX_ATTEMPTS = 3

/** Adds the figures of `b` to `d`. */
function merge(d: Buffer, b: Buffer): void {
  for (const [k, f] of Object.entries(b.faults)) {
    const t = (d.faults[k] ??= { injected: 0, survived: 0 })
    t.injected += f.injected
    t.survived += f.survived
  }
  for (const [k, v] of Object.entries(b.zero)) d.zero[k] = (d.zero[k] ?? 0) + v
  for (const [k, v] of Object.entries(b.totals)) d.totals[k] = (d.totals[k] ?? 0) + v
  for (const [k, v] of Object.entries(b.samples)) (d.samples[k] ??= []).push(...v)
  for (const [k, v] of Object.entries(b.ratios)) {
    const t = (d.ratios[k] ??= { ok: 0, of: 0 })
    t.ok += v.ok
    t.of += v.of
  }
}

/**
 * The report of one test file. Iterations run through {@link FileReport.iteration}, which
 * retries harness failures (never counting them as passes) and keeps the figures of the
 * attempt that ran to its checks.
 */
export class FileReport {
  private readonly data: PartialReport
  constructor(file: string) {
    this.data = {
      file,
      harnessErrors: { count: 0, reasons: [] },
      scenarios: {},
      notRun: {},
      engines: {},
      ...emptyBuffer(),
    }
  }

  /**
   * Runs one iteration of `scenario` in `engine` (Chromium unless said: the Chromium-only
   * files never say).
   */
  async iteration(
    scenario: string,
    run: (r: Recorder, attempt: number) => Promise<void>,
    engine = 'chromium',
  ): Promise<void> {
    const s = (this.data.scenarios[scenario] ??= { status: 'passed', iterations: 0, problems: [], engine })
    const e = this.engine(engine)
    for (let attempt = 1; ; attempt++) {
      const r = new Recorder()
      try {
        await run(r, attempt)
        this.merge(r.into)
        merge(e, r.into)
        s.iterations += 1
        e.iterations += 1
        return
      } catch (err) {
        if (err instanceof HarnessError && attempt < MAX_ATTEMPTS) {
          this.data.harnessErrors.count += 1
          e.harnessErrors += 1
          this.data.harnessErrors.reasons.push(`${scenario}: ${err.message}`.slice(0, 300))
          continue
        }
        this.merge(r.into)
        merge(e, r.into)
        s.status = 'failed'
        s.problems.push((err instanceof Error ? err.message : String(err)).slice(0, 2000))
        throw err
      }
    }
  }

  notRun(name: string, reason: string): void {
    this.data.notRun[name] = reason
  }

  /** Records how each fault is injected in `engine`. */
  faultMechanisms(engine: string, mechanisms: Record<string, string>): void {
    Object.assign(this.engine(engine).faultMechanisms, mechanisms)
  }

  /** Records something `engine` does not run, or runs differently (`what` → why). */
  difference(engine: string, what: string, why: string): void {
    this.engine(engine).differences[what] = why
  }

  private engine(name: string): EngineReport {
    return (this.data.engines[name] ??= {
      iterations: 0,
      harnessErrors: 0,
      faultMechanisms: {},
      differences: {},
      ...emptyBuffer(),
    })
  }

  private merge(b: Buffer): void {
    merge(this.data, b)
  }

  /** Writes the partial for run.mjs (only when it started the run: BROOK_RELIABILITY_RUN). */
  write(): void {
    const run = process.env.BROOK_RELIABILITY_RUN
    if (run === undefined || !/^[\w-]+$/.test(run)) return
    const dir = fileURLToPath(new URL(`./results/partials/${run}/`, import.meta.url))
    mkdirSync(dir, { recursive: true })
    writeFileSync(`${dir}${this.data.file}.json`, JSON.stringify(this.data, null, 1))
  }
}

/** Iterations per scenario: the CI count × `BROOK_RELIABILITY_ITERATIONS` / 1 (a scale, default 1). */
export function iterations(ci: number): number {
  const scale = Number(process.env.BROOK_RELIABILITY_ITERATIONS ?? '1')
  return Math.max(1, Math.round(ci * (Number.isFinite(scale) && scale > 0 ? scale : 1)))
}

/** True in a large run (scale > 1): enables the slow cases (100 MB events, long freezes). */
export const large = (): boolean => Number(process.env.BROOK_RELIABILITY_ITERATIONS ?? '1') > 1
