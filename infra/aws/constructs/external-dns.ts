import { Aws, type aws_eks_v2 as eks, aws_iam as iam, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HELM_CHART_VERSIONS } from '../cluster-versions';
import { bindPodIdentity, podIdentityRole } from './service-identities';

const NAMESPACE = 'external-dns';
const SERVICE_ACCOUNT = 'external-dns';

export interface ExternalDnsProps {
  readonly cluster: eks.Cluster;
  /** The public hosted zone it may write, and the only one it reads. */
  readonly hostedZoneId: string;
  /** Marks the records it owns (a TXT record beside each), so two clusters never take each other's. */
  readonly ownerId: string;
}

/**
 * external-dns (pinned Helm chart): publishes the host of each Ingress as an alias record to its load balancer, in one
 * hosted zone. Its Pod Identity role may change records of that zone only; it creates and updates, never deletes
 * (`upsert-only`), so a sync that briefly lacks an Ingress cannot take the name down.
 */
export class ExternalDns extends Construct {
  readonly role: iam.Role;
  readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: ExternalDnsProps) {
    super(scope, id);
    const zoneArn = `arn:${Aws.PARTITION}:route53:::hostedzone/${props.hostedZoneId}`;
    this.role = podIdentityRole(
      this,
      'Role',
      `Pod Identity of external-dns: records of hosted zone ${props.hostedZoneId}`,
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'route53:ListTagsForResource'],
        resources: [zoneArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        // Listing zones supports no resource-level permission; the zone filter below narrows it to one.
        actions: ['route53:ListHostedZones'],
        resources: ['*'],
      }),
    );
    const association = bindPodIdentity(
      this,
      'PodIdentity',
      props.cluster,
      { namespace: NAMESPACE, name: SERVICE_ACCOUNT },
      this.role,
    );
    this.chart = props.cluster.addHelmChart('ExternalDns', {
      chart: 'external-dns',
      repository: 'https://kubernetes-sigs.github.io/external-dns',
      version: HELM_CHART_VERSIONS['external-dns'],
      namespace: NAMESPACE,
      createNamespace: true,
      release: 'external-dns',
      values: {
        provider: { name: 'aws' },
        sources: ['ingress'],
        policy: 'upsert-only',
        registry: 'txt',
        txtOwnerId: props.ownerId,
        serviceAccount: { create: true, name: SERVICE_ACCOUNT },
        env: [{ name: 'AWS_DEFAULT_REGION', value: Stack.of(this).region }],
        extraArgs: [`--zone-id-filter=${props.hostedZoneId}`, '--aws-zone-type=public'],
      },
    });
    this.chart.node.addDependency(association);
  }
}
