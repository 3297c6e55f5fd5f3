import type { App } from 'cdktf';
import { type PlatformQuery, shop } from '../../lib/platform';
import { AnalyticsStack } from './analytics-stack';
import { type GcpConfig, stackName, validateGcpConfig } from './config';

/** Composes the analytics stack of each environment of the catalog (or of `config.environments`). */
export function buildGcpApp(app: App, config: GcpConfig, catalog: PlatformQuery = shop): Map<string, AnalyticsStack> {
  const problems = validateGcpConfig(config);
  if (problems.length > 0) throw new Error(`invalid GCP configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const stacks = new Map<string, AnalyticsStack>();
  for (const name of config.environments ?? catalog.environmentNames) {
    const environment = catalog.environment(name);
    stacks.set(
      name,
      new AnalyticsStack(app, stackName(environment), {
        environment,
        catalog,
        aws: config.aws[environment.name],
        stateBucket: config.stateBucket,
        gcpAsn: config.gcpAsn,
      }),
    );
  }
  return stacks;
}
