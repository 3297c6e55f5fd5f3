/**
 * The variables every service's tracing reads, apart from the SDK: the local platform's supervisor checks them
 * before anything starts without loading OpenTelemetry.
 */
import { z } from 'zod';
import { shop } from '../platform';
import { env, loadConfig } from './config';

/** The local trace file under DATA_DIR. */
export const TRACES_FILE = 'traces.jsonl';

/** The variables every service's tracing reads (the OpenTelemetry SDK's own names where one exists). */
export const tracingConfigShape = {
  /** `true` turns tracing off: no span is recorded, trace context still passes through. */
  OTEL_SDK_DISABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  /** An OTLP/HTTP collector (`http://collector:4318`); spans go there when set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /** The share of new traces recorded (0 to 1); a call that arrives traced follows its caller's decision. */
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a number from 0 to 1')
    .transform(Number)
    .default(1),
  /** `deployment.environment.name` of every span: a catalog environment, or `local`. */
  DEPLOYMENT_ENVIRONMENT: z
    .enum(['local', ...shop.catalog.environments.map((e) => e.name)], {
      error: `must be local or one of ${shop.catalog.environments.map((e) => e.name).join(', ')}`,
    })
    .default('local'),
  /** Without a collector, the file spans are appended to as OTLP/JSON lines (`npm start`: DATA_DIR/traces.jsonl). */
  TRACES_FILE: z.string().min(1).optional(),
  /** The size past which the trace file is rotated to `<TRACES_FILE>.1`. */
  TRACES_FILE_MAX_BYTES: env.integer(65_536, 536_870_912, 16_777_216),
};

export type TracingConfig = z.infer<z.ZodObject<typeof tracingConfigShape>>;

export function loadTracingConfig(variables: Record<string, string | undefined>): TracingConfig {
  return loadConfig(tracingConfigShape, variables);
}
