import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StreamWindowSpec } from '../../lib/platform';

/**
 * The job's SQL template is rendered in two steps. At synthesis, the placeholders that are facts of the catalog
 * (the window's length) are filled from it: what is uploaded, and what the vector harness runs, is that rendered
 * text. On the cluster, render.sh fills the rest from the instance metadata (topics, brokers, credentials, the
 * watermark's bound, parallelism), which the synthesis also sets from the catalog.
 */

/** The job's folder: the SQL template and the scripts that start it on Dataproc. */
export const FLINK_JOB_DIR = __dirname;
/** The SQL template, and the name of the rendered job uploaded beside the scripts. */
export const JOB_SQL = 'orders-windows.sql';

const MINUTE_MS = 60_000;

/**
 * The template's placeholders that the synthesis fills from the catalog's windows (whole minutes, as the catalog's
 * validation holds them).
 */
export function catalogPlaceholders(window: StreamWindowSpec): Readonly<Record<string, string>> {
  return { WINDOW_MINUTES: String(window.windowMs / MINUTE_MS) };
}

/** Replaces each `${NAME}` of `values` in `text`; other placeholders are left for render.sh. */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (placeholder, name: string) => values[name] ?? placeholder);
}

/** The job's SQL with the catalog's windows filled in, as uploaded for the cluster's render.sh. */
export function renderJobSql(window: StreamWindowSpec): string {
  return fillPlaceholders(readFileSync(path.join(FLINK_JOB_DIR, JOB_SQL), 'utf8'), catalogPlaceholders(window));
}

/** The watermark's bound as the template's INTERVAL SECOND(3) literal wants it: seconds with three decimals. */
export const intervalSeconds = (ms: number): string => (ms / 1000).toFixed(3);

/** A duration as Flink's configuration reads it: `10 s`, or `1500 ms` when not whole seconds. */
export const flinkDuration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
