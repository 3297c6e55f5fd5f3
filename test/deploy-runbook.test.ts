import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { shop } from '../lib/platform';

/** docs/deploy.md: every command it gives is one the repository supports. */
const ROOT = path.join(__dirname, '..');
const RUNBOOK = readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
const CONFIG = readFileSync(path.join(ROOT, 'infra', 'aws', 'config.ts'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/** The shell lines of the runbook's sh blocks, continuation lines joined. */
const commands = [...RUNBOOK.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => (m[1] ?? '').replace(/\\\n\s*/g, ' ').split('\n'))
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => line && !line.startsWith('#'));

describe('the deployment runbook', () => {
  test('has commands for each stage: bootstrap, deploy, access, verify, teardown', () => {
    for (const start of [
      'npx cdk bootstrap',
      'npx cdk deploy',
      'aws ssm start-session',
      'kubectl -n shopfront get hpa',
      'npx cdk destroy',
    ]) {
      expect({ start, found: commands.some((c) => c.startsWith(start)) }).toEqual({ start, found: true });
    }
  });

  test('names only scripts that exist and npm scripts that package.json defines', () => {
    for (const command of commands) {
      for (const [, script] of command.matchAll(/(?:^|\s)(scripts\/[\w./-]+)/g)) {
        expect({ command, exists: existsSync(path.join(ROOT, script ?? '')) }).toEqual({ command, exists: true });
      }
      for (const [, name] of command.matchAll(/npm run ([\w:-]+)/g)) {
        expect({ command, defined: PACKAGE.scripts[name ?? ''] !== undefined }).toEqual({ command, defined: true });
      }
    }
  });

  test('passes only context keys the CDK app reads, and stack names it creates', () => {
    const keys = [...RUNBOOK.matchAll(/-c (shopfront:\w+)=/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) expect({ key, read: CONFIG.includes(`'${key}'`) }).toEqual({ key, read: true });
    const stacks = new Set(
      shop.environmentNames.flatMap((e) =>
        ['Network', 'Data', 'Cluster', 'Notifications'].map(
          (p) => `Shopfront-${e[0]?.toUpperCase()}${e.slice(1)}-${p}`,
        ),
      ),
    );
    for (const [name] of RUNBOOK.matchAll(/Shopfront-[A-Z]\w+-\w+/g)) expect(stacks).toContain(name);
  });

  test('names resources by the names the stacks give them', () => {
    for (const name of [
      'shopfront-dev-eks',
      'shopfront-dev-notification-lambda',
      'shopfront-dev-notification-deliveries',
      'shopfront-dev-git-credentials',
    ]) {
      expect(RUNBOOK).toContain(name);
    }
    const sources = ['infra/aws/cluster-stack.ts', 'infra/aws/notifications-stack.ts', 'infra/aws/data-stack.ts']
      .map((f) => readFileSync(path.join(ROOT, f), 'utf8'))
      .join('\n');
    for (const part of ["'eks'", "'git-credentials'", 'resourceName(env, SERVICE)', 'resourceName(env, table.table)']) {
      expect(sources).toContain(part);
    }
  });
});
