import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Yaml } from 'cdk8s';
import { shop } from '../lib/platform';

/** The delivery pipeline as GitHub Actions reads it. */
const WORKFLOWS = path.join(__dirname, '..', '.github', 'workflows');
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is untyped
type Json = Record<string, any>;
const load = (file: string): Json => Yaml.load(path.join(WORKFLOWS, file))[0];
const pipeline = load('deploy.yml');
const perEnvironment = load('deploy-environment.yml');
const steps = perEnvironment.jobs.deploy.steps as Json[];
/** A GitHub Actions expression as the workflow writes it: `${{ <expression> }}`. */
const expression = (text: string): string => `$${'{{'} ${text} }}`;
const stepIndex = (pattern: RegExp) => steps.findIndex((s) => pattern.test(String(s.run ?? '')));

describe('the delivery pipeline', () => {
  test('checks the commit, then deploys dev, staging and prod, each after the previous one', () => {
    const order = shop.environmentNames;
    expect(order).toEqual(['dev', 'staging', 'prod']);
    expect(pipeline.jobs.checks.steps.map((s: Json) => s.run).filter(Boolean)).toEqual(['bash .ci/run']);
    let previous = 'checks';
    for (const environment of order) {
      expect(pipeline.jobs[environment]).toEqual({
        needs: previous,
        uses: './.github/workflows/deploy-environment.yml',
        with: { environment },
      });
      previous = environment;
    }
    // YAML 1.1 readers (this one) take the key `on` for a boolean; GitHub reads it as the string.
    expect((pipeline.on ?? pipeline.true).push.branches).toEqual(['main']);
    expect(pipeline.concurrency).toEqual({ group: 'deploy', 'cancel-in-progress': false });
  });

  test('each environment job runs in the GitHub environment of its name, where prod waits for a reviewer', () => {
    expect(perEnvironment.jobs.deploy.environment).toBe(expression('inputs.environment'));
  });

  test('assumes the environment pipeline role by OIDC; no stored AWS keys', () => {
    for (const workflow of [pipeline, perEnvironment]) expect(workflow.permissions['id-token']).toBe('write');
    const credentials = steps.find((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'));
    expect(credentials?.with).toEqual({
      'role-to-assume': expression('steps.target.outputs.role'),
      'aws-region': expression('steps.target.outputs.region'),
    });
    const text = ['deploy.yml', 'deploy-environment.yml'].map((f) => readFileSync(path.join(WORKFLOWS, f), 'utf8'));
    expect(text.join('\n')).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id/);
  });

  test('builds the images, shows cdk diff, then deploys the environment with the commit image tag', () => {
    const build = stepIndex(/^scripts\/build-images\.sh "\$ENVIRONMENT" "git-\$\{GITHUB_SHA::12\}"$/);
    const diff = stepIndex(/^npx cdk diff /);
    const deploy = stepIndex(/^npx cdk deploy --all --require-approval never /);
    expect(build).toBeGreaterThan(stepIndex(/pipeline-target\.ts/));
    expect(diff).toBeGreaterThan(build);
    expect(deploy).toBeGreaterThan(diff);
    for (const step of [steps[diff], steps[deploy]]) {
      expect(step?.run).toContain('-c "shopfront:environments=$ENVIRONMENT"');
      expect(step?.run).toContain(`-c "shopfront:imageTag=git-$${'{'}GITHUB_SHA::12}"`);
    }
  });

  test('renders and commits nothing: no step writes deploy/k8s or pushes to the repository', () => {
    const runs = [...steps, ...pipeline.jobs.checks.steps].map((s: Json) => String(s.run ?? ''));
    expect(runs.filter((r) => /synth:k8s|bin\/k8s\.ts|git (commit|push)/.test(r))).toEqual([]);
  });
});
