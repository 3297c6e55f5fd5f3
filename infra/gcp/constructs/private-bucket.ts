import { StorageBucket, type StorageBucketLifecycleRule } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import type { Construct } from 'constructs';

export interface PrivateBucketProps {
  readonly name: string;
  readonly location: string;
  readonly lifecycleRules: StorageBucketLifecycleRule[];
  /** Empties and deletes the bucket with its stack; false keeps it (and Terraform refuses to delete it). */
  readonly forceDestroy: boolean;
  /** Bucket that receives this bucket's access logs. @default - none (only for the log bucket itself) */
  readonly accessLogBucket?: StorageBucket;
  /** Cloud KMS key of the objects. @default - Google-managed keys */
  readonly kmsKeyName?: string;
  readonly labels: Record<string, string>;
}

/**
 * A GCS bucket that is never public (public access prevention enforced, uniform bucket-level access: IAM only,
 * no ACLs), versioned, with lifecycle rules and access logs, and optionally encrypted with a customer key.
 */
export function privateBucket(scope: Construct, id: string, props: PrivateBucketProps): StorageBucket {
  return new StorageBucket(scope, id, {
    name: props.name,
    location: props.location,
    storageClass: 'STANDARD',
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'enforced',
    versioning: { enabled: true },
    softDeletePolicy: { retentionDurationSeconds: 7 * 24 * 3600 },
    lifecycleRule: props.lifecycleRules,
    forceDestroy: props.forceDestroy,
    logging: props.accessLogBucket
      ? { logBucket: props.accessLogBucket.name, logObjectPrefix: `${props.name}/` }
      : undefined,
    encryption: props.kmsKeyName ? { defaultKmsKeyName: props.kmsKeyName } : undefined,
    labels: props.labels,
  });
}

/** Object roles a bucket grants, from narrowest to widest. */
export enum ObjectAccess {
  READ = 'roles/storage.objectViewer',
  CREATE = 'roles/storage.objectCreator',
  READ_WRITE = 'roles/storage.objectUser',
}

/** Grants `member` one object role on this bucket only. */
export function grantObjects(
  scope: Construct,
  id: string,
  bucket: StorageBucket,
  access: ObjectAccess,
  member: string,
) {
  return new StorageBucketIamMember(scope, id, { bucket: bucket.name, role: access, member });
}

/** Deletes noncurrent object versions after `days` (versioning keeps history, this bounds its cost). */
export const expireNoncurrentVersions = (days: number): StorageBucketLifecycleRule => ({
  action: { type: 'Delete' },
  condition: { daysSinceNoncurrentTime: days, withState: 'ARCHIVED' },
});

/** Aborts multipart uploads left incomplete for `days`. */
export const abortIncompleteUploads = (days: number): StorageBucketLifecycleRule => ({
  action: { type: 'AbortIncompleteMultipartUpload' },
  condition: { age: days },
});
