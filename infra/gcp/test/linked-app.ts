/**
 * The GCP stack of one environment with its AWS side configured (the test outputs of aws-outputs.ts, never the
 * repository's configuration), as `cdktf synth` writes it, for the policy tier (scripts/policy-gcp.sh): the first
 * phase is what `bin/gcp.ts` synthesizes, this is the second.
 *   tsx infra/gcp/test/linked-app.ts <environment> <output folder>
 */
import { mkdirSync } from 'node:fs';
import { App } from 'cdktf';
import { type EnvironmentName, shop } from '../../../lib/platform';
import { buildGcpApp } from '../app';
import { linkedConfig, readTestOutputs } from './aws-outputs';

const [environment, outdir] = process.argv.slice(2);
if (!environment || !(shop.environmentNames as string[]).includes(environment) || !outdir) {
  console.error(
    `usage: linked-app.ts <${shop.environmentNames.join('|')}> <output folder>, got ${process.argv.slice(2).join(' ')}`,
  );
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });
const app = new App({ outdir });
buildGcpApp(app, linkedConfig(environment as EnvironmentName), shop, readTestOutputs);
app.synth();
