import { CfnResource, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PlatformStack } from './platform-stack';

/** A checkov check we accept on one resource, and why. */
export interface CheckovAcknowledgement {
  readonly id: string;
  readonly comment: string;
}

/** Every CloudFormation resource under `stack` whose construct path (relative to the stack) matches. */
function resources(stack: Stack, pattern: RegExp): CfnResource[] {
  const prefix = `${stack.node.path}/`;
  return stack.node
    .findAll()
    .filter((c: IConstruct): c is CfnResource => CfnResource.isCfnResource(c))
    .filter((c) => pattern.test(c.node.path.slice(prefix.length)));
}

/**
 * Writes checkov's own per-resource suppression (`Metadata.checkov.skip`, each with its comment) on the resources
 * `pattern` selects. checkov reports a skipped check as skipped, with the comment; any other resource with the same
 * weakness still fails.
 */
function acknowledge(stack: Stack, pattern: RegExp, acknowledgements: readonly CheckovAcknowledgement[]): void {
  for (const resource of resources(stack, pattern)) {
    const existing = (resource.getMetadata('checkov') as { skip?: CheckovAcknowledgement[] } | undefined)?.skip ?? [];
    const ids = new Set(existing.map((a) => a.id));
    resource.addMetadata('checkov', {
      skip: [...existing, ...acknowledgements.filter((a) => !ids.has(a.id)).map((a) => ({ ...a }))],
    });
  }
}

/** The checkov acknowledgements of a stack, read back from its resources (for tests and reviews). */
export function checkovAcknowledgements(stack: Stack): Map<string, CheckovAcknowledgement[]> {
  const found = new Map<string, CheckovAcknowledgement[]>();
  for (const resource of resources(stack, /./)) {
    const skip = (resource.getMetadata('checkov') as { skip?: CheckovAcknowledgement[] } | undefined)?.skip;
    if (skip) found.set(resource.node.path, skip);
  }
  return found;
}

/**
 * The reviewed checkov findings of each stack (scripts/policy-aws.sh runs checkov on every synthesized template):
 * each on the resources that raise it, never a whole check or a whole stack. Most are aws-cdk-lib's own machinery
 * (custom-resource providers), whose code, concurrency and dead-letter handling CloudFormation drives.
 */
export function acknowledgeCheckovFindings(stack: Stack): void {
  if (!(stack instanceof PlatformStack)) return;
  const env = stack.platformEnv;

  // aws-cdk-lib's custom-resource machinery: the provider framework's onEvent functions, the kubectl handler, the
  // AwsCustomResource singleton (the MSK bootstrap-broker lookup) and the default-security-group restrictor.
  const providerFunctions = [
    /^Cluster\/KubectlProvider\/Handler\/Resource$/,
    /^Cluster\/KubectlProvider\/Provider\/framework-onEvent\/Resource$/,
    /^Databases\/BootstrapProvider\/framework-onEvent\/Resource$/,
    /^KafkaAcls\/Provider\/framework-onEvent\/Resource$/,
    /^AWS679f53fac002430cb0da5b7982bd2287\/Resource$/,
    /^Custom::VpcRestrictDefaultSGCustomResourceProvider\/Handler$/,
  ];
  for (const pattern of providerFunctions) {
    acknowledge(stack, pattern, [
      {
        id: 'CKV_AWS_115',
        comment:
          "aws-cdk-lib's custom-resource function, run by CloudFormation once per resource change. Reserved concurrency is taken from the account's unreserved pool, which may not fall below its minimum: on a new account (a limit of 10) any reservation fails the deploy.",
      },
      {
        id: 'CKV_AWS_116',
        comment:
          "aws-cdk-lib's custom-resource function: its outcome goes back to CloudFormation, which fails and rolls back the change; a dead-letter queue would hold events nobody replays.",
      },
    ]);
  }
  for (const pattern of providerFunctions.slice(2)) {
    acknowledge(stack, pattern, [
      {
        id: 'CKV_AWS_117',
        comment:
          'Calls AWS APIs only (Lambda, MSK, EC2), never a resource inside the VPC; in the VPC it would need interface endpoints or NAT for nothing.',
      },
    ]);
  }
  for (const pattern of providerFunctions.slice(0, 4)) {
    acknowledge(stack, pattern, [
      {
        id: 'CKV_AWS_173',
        comment:
          "aws-cdk-lib sets this function's environment: the ARNs of its handler functions and tool paths, no secret. The construct takes no key for it.",
      },
    ]);
  }
  for (const pattern of [
    /^Cluster\/KubectlProvider\/Handler\/LogGroup\/Resource$/,
    /^Cluster\/KubectlProvider\/Provider\/framework-onEvent\/LogGroup\/Resource$/,
    /^AWS679f53fac002430cb0da5b7982bd2287\/LogGroup\/Resource$/,
  ]) {
    acknowledge(stack, pattern, [
      {
        id: 'CKV_AWS_158',
        comment:
          'Log group aws-cdk-lib creates for its own custom-resource function (its invocation log: resource names and API responses, no data of the platform); the construct takes no key. CloudWatch Logs encrypts it at rest with a service key.',
      },
    ]);
  }

  // The trace ingress: a Network Load Balancer with one TCP listener.
  acknowledge(stack, /^TraceIngress\/LoadBalancer\/Resource$/, [
    {
      id: 'CKV_AWS_91',
      comment:
        'A Network Load Balancer writes access logs for TLS listeners only; this one forwards OTLP/HTTP over TCP inside the VPC, so a log bucket would stay empty. Its security group admits the notification Lambda only.',
    },
  ]);
  // Our own functions.
  acknowledge(stack, /^(Databases\/BootstrapFunction|KafkaAcls\/Function)\/Resource$/, [
    {
      id: 'CKV_AWS_115',
      comment:
        "Invoked only by its provider, once per deploy that changes the databases or the Kafka ACLs. Reserved concurrency is taken from the account's unreserved pool, which may not fall below its minimum: on a new account any reservation fails the deploy.",
    },
    {
      id: 'CKV_AWS_116',
      comment:
        'Invoked synchronously by its custom-resource provider, which reports a failure to CloudFormation; a dead-letter queue applies to asynchronous invocations only.',
    },
  ]);
  acknowledge(stack, /^Function\/Resource$/, [
    {
      id: 'CKV_AWS_115',
      comment:
        "The MSK event source mapping's provisioned pollers bound how many copies run. Reserved concurrency is taken from the account's unreserved pool, which may not fall below its minimum: on a new account any reservation fails the deploy.",
    },
    {
      id: 'CKV_AWS_116',
      comment:
        'Invoked synchronously by the MSK event source mapping, whose on-failure destination (the dead-letter bucket) keeps records that keep failing; a dead-letter queue applies to asynchronous invocations only.',
    },
  ]);

  acknowledge(stack, /^LoadBalancerController\/Role\/DefaultPolicy\/Resource$/, [
    {
      id: 'CKV_AWS_111',
      comment:
        'The upstream AWS Load Balancer Controller policy aws-cdk-lib ships for the pinned version: it creates load balancers, target groups and security groups at run time, and conditions on the elbv2.k8s.aws/cluster tag scope its writes, which this check does not read.',
    },
  ]);
  acknowledge(stack, /^AccessLogsBucket\/Resource$/, [
    {
      id: 'CKV_AWS_18',
      comment: 'The bucket every other bucket logs to; logging it into itself would log its own log writes.',
    },
  ]);
  if (!env.database.multiAz) {
    acknowledge(stack, /^Databases\/Instance\/Resource$/, [
      {
        id: 'CKV_AWS_157',
        comment: `${env.name} runs a single-AZ instance to halve its cost; the catalog requires Multi-AZ in prod.`,
      },
    ]);
  }
}
