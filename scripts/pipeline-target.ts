/**
 * Prints, as GitHub Actions step outputs, what the pipeline needs to deploy one environment: `role=` (the
 * environment's pipelineRoleArn in lib/platform/deployment.ts, assumed through GitHub's OIDC provider) and `region=`
 * (the catalog's). Fails, naming the setting, while the role is missing or a placeholder.
 * Usage: tsx scripts/pipeline-target.ts <environment>
 */
import { pipelineTarget, shop } from '../lib/platform';

const [name] = process.argv.slice(2);
if (!name) throw new Error(`usage: pipeline-target <environment> (one of ${shop.environmentNames.join(', ')})`);
const target = pipelineTarget(shop.environment(name));
console.log(`role=${target.role}\nregion=${target.region}`);
