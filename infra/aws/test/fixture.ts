import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEPLOYMENT, type DeploymentSettings, type EnvironmentName, shop } from '../../../lib/platform';
import { buildAwsApp, type EnvironmentStacks } from '../app';
import { type AwsAppConfig, readAwsConfig } from '../config';

const ROOT = path.join(__dirname, '..', '..', '..');
export const GIT_REPO_URL = 'https://git.example.com/platform/shopfront.git';

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

export function newApp(): App {
  return new App({ context: cdkContext() });
}

/** The two interface addresses of each environment's GCP HA VPN gateway (documentation range). */
export const GCP_VPN_ADDRESSES = {
  dev: ['198.51.100.10', '198.51.100.11'],
  staging: ['198.51.100.20', '198.51.100.21'],
  prod: ['198.51.100.30', '198.51.100.31'],
} as const;

/** An address of the environment's Private Service Access range, as the GCP stack's ResultsDatabaseAddress output. */
export const resultsDatabaseAddress = (environment: EnvironmentName): string =>
  shop.environment(environment).gcp.network.privateServiceCidr.replace(/\.0\/\d+$/, '.3');

/**
 * The repository's deployment settings with the analytics link of `environment` configured (`analyticsLinkConfigured`:
 * the GCP side's VPN addresses and results database address, as after its first deploy).
 */
export function linkedSettings(environment: EnvironmentName): DeploymentSettings {
  return {
    ...DEPLOYMENT,
    environments: {
      ...DEPLOYMENT.environments,
      [environment]: {
        ...DEPLOYMENT.environments[environment],
        gcpVpnAddresses: GCP_VPN_ADDRESSES[environment],
        resultsDatabaseAddress: resultsDatabaseAddress(environment),
      },
    },
  };
}

/**
 * The app configuration `cdk synth` reads offline (no context, no credentials), with the test repository and the
 * GCP side's VPN addresses (as after the GCP stack's first deploy).
 */
export function testConfig(environments?: string[]): AwsAppConfig {
  const noContext = { node: { tryGetContext: () => undefined } };
  return {
    ...readAwsConfig(noContext, {}, DEPLOYMENT),
    gitRepoUrl: GIT_REPO_URL,
    environments,
    gcpVpnAddresses: GCP_VPN_ADDRESSES,
  };
}

const cache = new Map<string, EnvironmentStacks>();

/** The stack set of one environment, built once per test file. */
export function stacksOf(environment: string): EnvironmentStacks {
  const cached = cache.get(environment);
  if (cached) return cached;
  const sets = buildAwsApp(newApp(), testConfig([environment]));
  const set = sets.get(environment);
  if (!set) throw new Error(`no stacks for ${environment}`);
  cache.set(environment, set);
  return set;
}

export function templates(environment: string) {
  const s = stacksOf(environment);
  return {
    network: Template.fromStack(s.network),
    data: Template.fromStack(s.data),
    cluster: Template.fromStack(s.cluster),
    notifications: Template.fromStack(s.notifications),
  };
}

/** Resources of one type, as [logicalId, properties] pairs. */
export function resourcesOf(template: Template, type: string): [string, Record<string, unknown>][] {
  return Object.entries(template.findResources(type)).map(([id, r]) => [
    id,
    (r as { Properties: Record<string, unknown> }).Properties,
  ]);
}

/** Masks content hashes so snapshots change only when the template does. */
export function masked(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}/g, '[HASH]'));
}

/** A synthesized stack: its name and template, so references between stacks can be followed. */
export interface NamedTemplate {
  readonly stackName: string;
  readonly template: Template;
}

/** The environment's templates with their stack names. */
export function namedTemplates(environment: string): NamedTemplate[] {
  return Object.values(stacksOf(environment)).map((stack) => ({
    stackName: stack.stackName,
    template: Template.fromStack(stack),
  }));
}

/** The SSM parameter a template parameter resolves at deploy time, if it is one. */
export function ssmParameterName(template: Template, parameter: string): string | undefined {
  const declared = template.toJSON().Parameters?.[parameter] as { Type: string; Default?: string } | undefined;
  return declared?.Type.startsWith('AWS::SSM::Parameter::Value') ? declared.Default : undefined;
}

/** The value of the SSM parameter `name` as the stack that writes it wrote it, or undefined if none does. */
export function writtenParameter(name: string, all: readonly NamedTemplate[]): [unknown, NamedTemplate] | undefined {
  for (const writer of all) {
    for (const [, p] of resourcesOf(writer.template, 'AWS::SSM::Parameter')) {
      if (p.Name === name) return [p.Value, writer];
    }
  }
  return undefined;
}

/**
 * Writes a value so that the same resource reads the same from any stack: `{Ref: X}` in stack S becomes `S/X`,
 * `{Fn::GetAtt: [X, A]}` becomes `S/X.A`, `{Fn::ImportValue: name}` becomes what the exporting stack exported, and a
 * reference to an SSM parameter becomes what the stack that writes the parameter wrote.
 */
export function canonical(value: unknown, from: NamedTemplate, all: readonly NamedTemplate[]): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, from, all));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const parameter = typeof object.Ref === 'string' ? ssmParameterName(from.template, object.Ref) : undefined;
  if (parameter) {
    const written = writtenParameter(parameter, all);
    if (!written) throw new Error(`no stack writes the SSM parameter ${parameter}`);
    return canonical(written[0], written[1], all);
  }
  if (typeof object.Ref === 'string' && !object.Ref.startsWith('AWS::')) return `${from.stackName}/${object.Ref}`;
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `${from.stackName}/${getAtt[0]}.${getAtt[1]}`;
  const imported = object['Fn::ImportValue'];
  if (typeof imported === 'string') {
    for (const exporter of all) {
      const outputs = (exporter.template.toJSON().Outputs ?? {}) as Record<
        string,
        { Value: unknown; Export?: { Name: string } }
      >;
      const output = Object.values(outputs).find((o) => o.Export?.Name === imported);
      if (output) return canonical(output.Value, exporter, all);
    }
    throw new Error(`no stack exports ${imported}`);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, canonical(v, from, all)]));
}

/** One security-group rule, its groups written as `canonical` writes them. */
export interface GroupRule {
  readonly group: unknown;
  readonly peer: unknown;
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
}

/** Every ingress or egress rule of every stack, standalone or inline, with the peer group or CIDR it names. */
export function groupRules(direction: 'ingress' | 'egress', all: readonly NamedTemplate[]): GroupRule[] {
  const rules: GroupRule[] = [];
  const peerOf = (p: Record<string, unknown>) =>
    direction === 'ingress'
      ? (p.SourceSecurityGroupId ?? p.CidrIp ?? p.SourcePrefixListId)
      : (p.DestinationSecurityGroupId ?? p.CidrIp ?? p.DestinationPrefixListId);
  const rule = (group: unknown, p: Record<string, unknown>, from: NamedTemplate): GroupRule => ({
    group,
    peer: canonical(peerOf(p), from, all),
    protocol: String(p.IpProtocol),
    fromPort: p.FromPort as number | undefined,
    toPort: p.ToPort as number | undefined,
  });
  const type = direction === 'ingress' ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress';
  const inline = direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
  for (const named of all) {
    for (const [, p] of resourcesOf(named.template, type)) rules.push(rule(canonical(p.GroupId, named, all), p, named));
    for (const [id, p] of resourcesOf(named.template, 'AWS::EC2::SecurityGroup')) {
      for (const r of (p[inline] ?? []) as Record<string, unknown>[]) {
        rules.push(rule(`${named.stackName}/${id}.GroupId`, r, named));
      }
    }
  }
  return rules;
}

/** Whether a rule of `rules` lets `peer` and `group` talk on TCP `port`. */
export function permits(rules: readonly GroupRule[], group: unknown, peer: unknown, port: number): boolean {
  return rules.some(
    (r) =>
      r.group === group &&
      r.peer === peer &&
      (r.protocol === '-1' || (r.protocol === 'tcp' && (r.fromPort ?? 0) <= port && port <= (r.toPort ?? 65535))),
  );
}

/** A JSON document CloudFormation assembles with `Fn::Join`, each deploy-time value written as `<Ref:X>` or `<X.Attr>`. */
export function joinedJson(value: unknown): Record<string, unknown> {
  return JSON.parse(joinedText(value));
}

/** A string CloudFormation assembles with `Fn::Join`, each deploy-time value written as `<Ref:X>` or `<X.Attr>`. */
export function joinedText(value: unknown): string {
  if (typeof value === 'string') return value;
  const [, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::ImportValue'?: string };
      if (token.Ref) return `<Ref:${token.Ref}>`;
      if (token['Fn::GetAtt']) return `<${token['Fn::GetAtt'].join('.')}>`;
      return `<Import:${token['Fn::ImportValue']}>`;
    })
    .join('');
}
