import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildAwsApp, type EnvironmentStacks } from '../app';

const ROOT = path.join(__dirname, '..', '..', '..');
export const GIT_REPO_URL = 'https://git.example.com/platform/shopfront.git';

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

export function newApp(): App {
  return new App({ context: cdkContext() });
}

const cache = new Map<string, EnvironmentStacks>();

/** The stack set of one environment, built once per test file. */
export function stacksOf(environment: string): EnvironmentStacks {
  const cached = cache.get(environment);
  if (cached) return cached;
  const sets = buildAwsApp(newApp(), { gitRepoUrl: GIT_REPO_URL, gitRevision: 'main', environments: [environment] });
  const set = sets.get(environment);
  if (!set) throw new Error(`no stacks for ${environment}`);
  cache.set(environment, set);
  return set;
}

export function templates(environment: string) {
  const s = stacksOf(environment);
  return {
    network: Template.fromStack(s.network),
    data: Template.fromStack(s.data),
    cluster: Template.fromStack(s.cluster),
    notifications: Template.fromStack(s.notifications),
  };
}

/** Resources of one type, as [logicalId, properties] pairs. */
export function resourcesOf(template: Template, type: string): [string, Record<string, unknown>][] {
  return Object.entries(template.findResources(type)).map(([id, r]) => [
    id,
    (r as { Properties: Record<string, unknown> }).Properties,
  ]);
}

/** Masks content hashes so snapshots change only when the template does. */
export function masked(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}/g, '[HASH]'));
}
