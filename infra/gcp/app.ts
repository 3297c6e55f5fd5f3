import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { App } from 'cdktf';
import { type PlatformQuery, shop } from '../../lib/platform';
import { AnalyticsStack } from './analytics-stack';
import { awsLinkFromOutputs, type GcpConfig, stackName, validateGcpConfig } from './config';

const ROOT = path.join(__dirname, '..', '..');

/** Reads a repository-relative JSON file; a missing or unparsable file is an error naming it. */
export function readRepositoryJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path.join(ROOT, file), 'utf8');
  } catch (error) {
    throw new Error(
      `${file}: cannot read the AWS outputs (${(error as NodeJS.ErrnoException).code ?? error}); deploy the AWS side with --outputs-file ${file} (docs/deploy.md)`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
}

/**
 * Composes the analytics stack of each environment of the catalog (or of `config.environments`), each with the AWS
 * side read from its outputs file (`readJson`, from the repository by default), or without it before AWS exists.
 */
export function buildGcpApp(
  app: App,
  config: GcpConfig,
  catalog: PlatformQuery = shop,
  readJson: (file: string) => unknown = readRepositoryJson,
): Map<string, AnalyticsStack> {
  const problems = validateGcpConfig(config);
  if (problems.length > 0) throw new Error(`invalid GCP configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const stacks = new Map<string, AnalyticsStack>();
  for (const name of config.environments ?? catalog.environmentNames) {
    const environment = catalog.environment(name);
    const outputsFile = config.awsOutputs[environment.name];
    stacks.set(
      name,
      new AnalyticsStack(app, stackName(environment), {
        environment,
        catalog,
        aws: outputsFile === null ? undefined : awsLinkFromOutputs(environment, readJson(outputsFile), outputsFile),
        stateBucket: config.stateBucket,
      }),
    );
  }
  return stacks;
}
