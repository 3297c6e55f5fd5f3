/**
 * `--tracing=off|on|both` of the order bench: which runs to make, each on a fresh platform. `off` sets
 * OTEL_SDK_DISABLED (context still passes, no span is recorded); `on` runs with the kit's defaults (every trace
 * recorded, written to the trace file), what `npm start` does. `both` (the default) runs off first, then on, so one
 * run prints the cost of tracing side by side.
 */
export type TracingMode = 'off' | 'on';

export const TRACING_MODES: readonly TracingMode[] = ['off', 'on'];

/** A wrong command-line argument: printed as its message alone. */
export class BenchArgumentError extends Error {
  override name = 'BenchArgumentError';
}

/** The variables a platform runs with in a mode. */
export function tracingEnvironment(mode: TracingMode): Record<string, string | undefined> {
  return mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : { OTEL_SDK_DISABLED: 'false' };
}

/** The modes `argv` asks for; throws naming the argument and what is allowed. */
export function parseTracingModes(argv: readonly string[]): TracingMode[] {
  let modes: TracingMode[] = [...TRACING_MODES];
  for (const arg of argv) {
    const match = /^--tracing(?:=(.*))?$/.exec(arg);
    if (!match) throw new BenchArgumentError(`unknown argument '${arg}': the order bench takes --tracing=off|on|both`);
    const value = match[1];
    if (value === 'off' || value === 'on') modes = [value];
    else if (value === 'both') modes = [...TRACING_MODES];
    else
      throw new BenchArgumentError(
        `'--tracing' must be off, on or both, got ${value === undefined ? 'no value' : `'${value}'`}`,
      );
  }
  return modes;
}

/** Throughput lost with tracing on, in percent of the throughput with it off (negative: on was faster). */
export function tracingCost(offPerSecond: number, onPerSecond: number): number {
  if (!(offPerSecond > 0)) throw new Error(`the run with tracing off must have served requests, got ${offPerSecond}/s`);
  return ((offPerSecond - onPerSecond) / offPerSecond) * 100;
}

/**
 * A whole number of the bench's environment (seconds, connections) from `min` up, `fallback` when unset; anything
 * else is refused rather than read as NaN, which would turn a run or a wait into none.
 */
export function benchNumber(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new BenchArgumentError(`${name} must be a whole number from ${min}, got '${value}'`);
  }
  return parsed;
}
