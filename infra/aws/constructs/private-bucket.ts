import { type RemovalPolicy, aws_s3 as s3 } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export interface PrivateBucketProps {
  /** Customer-managed key the bucket encrypts with (bucket keys on). */
  readonly encryptionKey: s3.BucketProps['encryptionKey'];
  /** Where server access logs go, and under which prefix. */
  readonly accessLogs: { readonly bucket: s3.IBucket; readonly prefix: string };
  readonly lifecycleRules: s3.LifecycleRule[];
  readonly removalPolicy: RemovalPolicy;
}

/** A versioned bucket that is KMS-encrypted, never public, TLS 1.2+ only, owner-enforced and access-logged. */
export function privateBucket(scope: Construct, id: string, props: PrivateBucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.encryptionKey,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    serverAccessLogsBucket: props.accessLogs.bucket,
    serverAccessLogsPrefix: props.accessLogs.prefix,
    lifecycleRules: props.lifecycleRules,
    removalPolicy: props.removalPolicy,
  });
}
