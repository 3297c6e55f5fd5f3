import { aws_iam as iam, type aws_lambda as lambda, type aws_s3 as s3 } from 'aws-cdk-lib';

/**
 * An event-source on-failure destination that writes failed Kafka records (payload included) to S3.
 * Unlike aws-cdk-lib's S3OnFailureDestination, which grants read/write on the bucket, the function may
 * only list the bucket and put objects into it: it never reads or deletes dead letters.
 */
export class WriteOnlyS3OnFailureDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    this.bucket.encryptionKey?.grant(targetHandler, 'kms:GenerateDataKey', 'kms:Decrypt');
    return { destination: this.bucket.bucketArn };
  }
}
