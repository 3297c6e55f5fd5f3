/**
 * The AWS stacks of one environment with the analytics link configured (test settings: the GCP side's VPN and
 * results database addresses, never the repository's), for the policy tier (scripts/policy-aws.sh), which
 * synthesizes the repository's configuration with bin/aws.ts and this second phase with
 *   cdk synth --app 'npx tsx infra/aws/test/linked-app.ts <environment>'
 * CDK context applies as to bin/aws.ts.
 */
import { App } from 'aws-cdk-lib';
import { type EnvironmentName, shop } from '../../../lib/platform';
import { buildAwsApp } from '../app';
import { readAwsConfig } from '../config';
import { linkedSettings } from './fixture';

const [environment] = process.argv.slice(2);
if (!environment || !(shop.environmentNames as string[]).includes(environment)) {
  console.error(`usage: linked-app.ts <${shop.environmentNames.join('|')}>, got '${environment ?? ''}'`);
  process.exit(2);
}
const app = new App();
const config = readAwsConfig(app, process.env, linkedSettings(environment as EnvironmentName));
buildAwsApp(app, { ...config, environments: [environment] });
