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
}
