import { aws_iam as iam, aws_kms as kms, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type EnvironmentSpec, PRODUCT, resourceName } from '../../lib/platform';

export interface PlatformStackProps extends StackProps {
  readonly environment: EnvironmentSpec;
}

/**
 * Base of every stack of one environment: zones come from the catalog (so synthesis never looks them up
 * in an account) and stateful resources follow the environment's removal policy.
 */
export class PlatformStack extends Stack {
  readonly platformEnv: EnvironmentSpec;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    this.platformEnv = props.environment;
    Tags.of(this).add('shopfront:environment', props.environment.name);
    Tags.of(this).add('shopfront:product', PRODUCT);
  }

  override get availabilityZones(): string[] {
    return [...this.platformEnv.availabilityZones];
  }

  /**
   * A customer-managed key owned by this stack. Each stack encrypts with its own key: a grant on a key in
   * another stack writes the grantee into that key's policy and ties the two stacks in a cycle.
   */
  protected newKey(id: string, purpose: string, description: string): kms.Key {
    const key = new kms.Key(this, id, {
      alias: `alias/${resourceName(this.platformEnv, purpose)}`,
      description,
      enableKeyRotation: true,
      removalPolicy: this.statefulRemovalPolicy,
    });
    // CloudWatch Logs encrypts this stack's log groups with the key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:*`,
          },
        },
      }),
    );
    return key;
  }

  /** Retain stateful resources where the environment protects them, otherwise destroy them with the stack. */
  get statefulRemovalPolicy(): RemovalPolicy {
    return this.platformEnv.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  }
}
