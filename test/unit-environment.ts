/**
 * The environment of every test file, set before it runs.
 *
 * CDK apps synthesized by the tests skip asset bundling (the `aws:cdk:bundling-stacks` context, with which the CDK
 * CLI bundles only the stacks it deploys): the templates are the same, with an asset hash derived from the
 * construct's path instead of the bundle's, and no esbuild runs, which printed its bundle listing straight to the
 * terminal on every synthesis. `cdk synth` (npm run synth:aws, the policy tier) still bundles every asset.
 */
const context = JSON.parse(process.env.CDK_CONTEXT_JSON ?? '{}') as Record<string, unknown>;
process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context });
