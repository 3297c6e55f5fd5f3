import { aws_logs as logs } from 'aws-cdk-lib';

/** The CloudWatch retention enum value for a catalog's day count (validated by the catalog). */
export function retention(days: number): logs.RetentionDays {
  const match = Object.values(logs.RetentionDays).find((v) => v === days);
  if (match === undefined) throw new Error(`'logRetentionDays' must be a CloudWatch retention value, got ${days}`);
  return match as logs.RetentionDays;
}
