// The global types of cdktf's Jest matchers (toHaveResourceWithProperties, ...).
import 'cdktf/lib/testing/adapters/jest';
import { type App, Testing } from 'cdktf';
import { type EnvironmentName, shop } from '../../../lib/platform';
import type { AnalyticsStack } from '../analytics-stack';
import { buildGcpApp } from '../app';
import type { GcpConfig } from '../config';
import { configFor, readTestOutputs } from './aws-outputs';

export {
  awsOutputs,
  type CdkOutputs,
  configFor,
  linkedConfig,
  outputsFile,
  readTestOutputs,
  TUNNELS,
} from './aws-outputs';

Testing.setupJest();

export interface Synthesized {
  readonly stack: AnalyticsStack;
  /** The stack's Terraform JSON, as `cdktf synth` writes it. */
  readonly json: string;
  readonly tf: TerraformJson;
}

export interface TerraformJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly variable?: Record<string, Record<string, unknown>>;
  readonly output?: Record<string, { value: unknown }>;
  readonly terraform: { backend: Record<string, Record<string, unknown>> };
  readonly provider: Record<string, Record<string, unknown>[]>;
}

const cache = new Map<string, Synthesized>();

/** The stack of one environment, synthesized once per test file and configuration. */
export function synthesize(environment: EnvironmentName, config: GcpConfig = configFor(environment)): Synthesized {
  const key = `${environment}:${JSON.stringify(config)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const app: App = Testing.app();
  const stack = buildGcpApp(app, config, shop, readTestOutputs).get(environment);
  if (!stack) throw new Error(`no stack for ${environment}`);
  const json = Testing.synth(stack);
  const result = { stack, json, tf: JSON.parse(json) as TerraformJson };
  cache.set(key, result);
  return result;
}

/** Every resource of one type, as [logical id, configuration] pairs. */
export function resourcesOf(tf: TerraformJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(tf.resource[type] ?? {});
}

/** The one resource of a type (fails if there is not exactly one). */
export function only(tf: TerraformJson, type: string): Record<string, unknown> {
  const found = resourcesOf(tf, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return (found[0] as [string, Record<string, unknown>])[1];
}

/** `${type.logicalId.attribute}`, the Terraform reference to a resource's attribute. */
export function ref(tf: TerraformJson, type: string, attribute: string, idPattern: RegExp = /./): string {
  const matches = resourcesOf(tf, type).filter(([id]) => idPattern.test(id));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching ${idPattern}, found ${matches.length}`);
  return `\${${type}.${(matches[0] as [string, unknown])[0]}.${attribute}}`;
}
