/**
 * Prints what scripts/build-images.sh builds for one environment, from the catalog and charts-ts/config.ts:
 *   line 1: the region; line 2: the configured account; then one container service per line.
 * Usage: tsx charts-ts/tools/image-targets.ts <environment>
 */
import { shop } from '../../lib/platform';
import { resolveK8sConfig } from '../config';

const name = process.argv[2];
if (!name) throw new Error(`usage: image-targets <environment> (one of ${shop.environmentNames.join(', ')})`);
const config = resolveK8sConfig(shop.environment(name));
console.log([config.region, config.awsAccount, ...shop.containers.map((s) => s.name)].join('\n'));
