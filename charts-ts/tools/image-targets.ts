/**
 * Prints what scripts/build-images.sh builds for one environment, from the catalog and lib/platform's deployment
 * settings: line 1: the region; line 2: the configured account (empty when none is set); then one ECR repository
 * per line (`shopfront/<service>`, one per container service).
 * Usage: tsx charts-ts/tools/image-targets.ts <environment>
 */
import { DEPLOYMENT, type EnvironmentName, imageRepositoryName, shop } from '../../lib/platform';

const name = process.argv[2];
if (!name) throw new Error(`usage: image-targets <environment> (one of ${shop.environmentNames.join(', ')})`);
const environment = shop.environment(name);
const account = DEPLOYMENT.environments[environment.name as EnvironmentName].awsAccount ?? '';
console.log([environment.region, account, ...shop.containers.map((s) => imageRepositoryName(s.name))].join('\n'));
