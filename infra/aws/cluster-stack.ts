import {
  CfnOutput,
  Duration,
  aws_ec2 as ec2,
  aws_eks_v2 as eks,
  Fn,
  aws_iam as iam,
  type aws_kms as kms,
  aws_logs as logs,
  aws_ssm as ssm,
  type aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  type ClusterAccessRoles,
  containerLogGroupName,
  KUBERNETES_NAMESPACE,
  kafkaBrokersParameterName,
  LOG_SHIPPER,
  MSK_IAM_TLS_PORT,
  type PlatformQuery,
  POSTGRES_PORT,
  resourceName,
  shop,
  traceIngressTargetGroupName,
} from '../../lib/platform';
import { HELM_CHART_VERSIONS, KUBERNETES_VERSION, kubectlLayer } from './cluster-versions';
import { ClusterAccess, SessionManagerBastion } from './constructs/cluster-access';
import {
  EBS_CSI_CONTROLLER_SERVICE_ACCOUNT,
  ebsCsiDriverRole,
  GP3_STORAGE_CLASS,
  managedAddon,
} from './constructs/cluster-addons';
import { autoscalerTags, ClusterAutoscaler } from './constructs/cluster-autoscaler';
import { DataReferences } from './constructs/data-parameters';
import { ExternalDns } from './constructs/external-dns';
import { GitOpsRoot } from './constructs/gitops-root';
import { allowIngressFrom } from './constructs/ingress';
import { LoadBalancerController, publicWebAcl } from './constructs/load-balancer-controller';
import { pascal } from './constructs/names';
import { PublicEndpoint, type PublicEndpointSettings } from './constructs/public-endpoint';
import { RepositoryCredentials } from './constructs/repository-credentials';
import { bindPodIdentity, podIdentityRole } from './constructs/service-identities';
import { TraceIngress } from './constructs/trace-ingress';
import type { DataStack } from './data-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';
import { retention } from './retention';

const ARGOCD_NAMESPACE = 'argocd';
const EXTERNAL_SECRETS_NAMESPACE = 'external-secrets';

export interface ClusterStackProps extends PlatformStackProps {
  readonly vpc: ec2.IVpc;
  /** The environment's Data stack: this stack reads its parameters, never its exports. */
  readonly data: DataStack;
  /** @default the platform catalog */
  readonly catalog?: PlatformQuery;
  readonly gitRepoUrl: string;
  readonly gitRevision: string;
  /**
   * Whether Argo CD reads the repository with credentials kept in Secrets Manager (`RepositoryCredentials`).
   * @default false
   */
  readonly gitRepoPrivate?: boolean;
  /**
   * The IAM roles of the environment's operators (cluster admin) and pipeline (Argo CD objects, read access).
   * @default - neither: only the deploying role and the kubectl handler can use the Kubernetes API
   */
  readonly access?: ClusterAccessRoles;
  /** Tag of the service images the root Application points the manifests at. */
  readonly imageTag: string;
  /**
   * The API's host name and hosted zone: its certificate and the Ingress host rule.
   * @default - none: the Ingress gets no certificate, so the template is not deployable
   */
  readonly publicEndpoint?: PublicEndpointSettings;
}

/**
 * EKS with a managed node group in private subnets, a private API endpoint, envelope-encrypted secrets,
 * the AWS Load Balancer Controller behind a WAF web ACL, External Secrets Operator and ArgoCD, plus one Pod Identity per
 * service.
 * ArgoCD's root Application syncs `deploy/k8s/<env>/` from the configured repository.
 */
export class ClusterStack extends PlatformStack {
  readonly cluster: eks.Cluster;
  /** Envelope-encrypts Kubernetes secrets and the cluster's logs. */
  readonly key: kms.Key;
  /** The managed node group the workloads run on; Cluster Autoscaler sizes it within the catalog's bounds. */
  readonly workers: eks.Nodegroup;
  readonly autoscaler: ClusterAutoscaler;
  readonly loadBalancerController: LoadBalancerController;
  /** Filters every request to the public load balancers the controller creates. */
  readonly webAcl: wafv2.CfnWebACL;
  /** The access entries of the operators and the pipeline. */
  readonly access: ClusterAccess;
  /** The operators' way to the private API endpoint: Session Manager port forwarding. */
  readonly bastion: SessionManagerBastion;
  /** Every container's log, shipped by Fluent Bit (deploy/k8s/<env>/logging). */
  readonly containerLogs: logs.LogGroup;
  /** Fluent Bit's Pod Identity: writes log streams of `containerLogs`, nothing else. */
  readonly logShipperRole: iam.Role;
  /** The root Applications, which pass the deploy values to the rendered manifests. */
  readonly gitops: GitOpsRoot;
  /** The API's host name and certificate, when configured. */
  readonly publicEndpoint?: PublicEndpoint;
  /** Publishes the API's host name in its hosted zone, when configured. */
  readonly externalDns?: ExternalDns;
  /** Argo CD's credentials of a private repository, from Secrets Manager. */
  readonly repositoryCredentials?: RepositoryCredentials;
  /** The internal load balancer in front of the trace collector, for clients outside the cluster. */
  readonly traceIngress: TraceIngress;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const env = this.platformEnv;
    this.key = this.newKey('ClusterKey', 'cluster', `Envelope-encrypts ${env.name} Kubernetes secrets`);
    const privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    const clusterName = resourceName(env, 'eks');
    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName,
      version: KUBERNETES_VERSION,
      vpc: props.vpc,
      vpcSubnets: [privateSubnets],
      endpointAccess: eks.EndpointAccess.PRIVATE,
      secretsEncryptionKey: this.key,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      kubectlProviderOptions: { kubectlLayer: kubectlLayer(this, 'KubectlLayer') },
    });
    const k8s = env.kubernetes;
    this.workers = this.cluster.addNodegroupCapacity('Workers', {
      nodegroupName: resourceName(env, 'workers'),
      instanceTypes: k8s.nodeInstanceTypes.map((t) => new ec2.InstanceType(t)),
      minSize: k8s.minNodes,
      desiredSize: k8s.desiredNodes,
      maxSize: k8s.maxNodes,
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      subnets: privateSubnets,
      // EKS tags the group's Auto Scaling group the same way; these make the intent visible on the node group.
      tags: autoscalerTags(clusterName),
    });

    // Managed add-ons at the versions cluster-versions.ts pins; the ones that run pods wait for the nodes.
    const podIdentityAgent = managedAddon(this, 'PodIdentityAgent', this.cluster, 'eks-pod-identity-agent');
    const addons = [
      podIdentityAgent,
      // Network policy enforcement: the NetworkPolicies deploy/k8s renders are enforced, not just stored.
      managedAddon(this, 'VpcCni', this.cluster, 'vpc-cni', { configurationValues: { enableNetworkPolicy: 'true' } }),
      managedAddon(this, 'CoreDns', this.cluster, 'coredns'),
      managedAddon(this, 'KubeProxy', this.cluster, 'kube-proxy'),
      // The autoscalers' resource metrics (`kubectl top`, HPA on CPU).
      managedAddon(this, 'MetricsServer', this.cluster, 'metrics-server'),
    ];
    const ebsCsiDriver = managedAddon(this, 'EbsCsiDriver', this.cluster, 'aws-ebs-csi-driver', {
      podIdentities: { [EBS_CSI_CONTROLLER_SERVICE_ACCOUNT]: ebsCsiDriverRole(this, 'EbsCsiDriverRole') },
    });
    ebsCsiDriver.node.addDependency(podIdentityAgent);
    for (const addon of [...addons, ebsCsiDriver]) addon.node.addDependency(this.workers);
    const storageClass = this.cluster.addManifest('Gp3StorageClass', GP3_STORAGE_CLASS);
    storageClass.node.addDependency(ebsCsiDriver);

    this.autoscaler = new ClusterAutoscaler(this, 'ClusterAutoscaler', {
      cluster: this.cluster,
      clusterName,
      nodegroups: [this.workers],
    });

    this.webAcl = publicWebAcl(this, 'WebAcl', resourceName(env, 'public'));
    this.loadBalancerController = new LoadBalancerController(this, 'LoadBalancerController', {
      cluster: this.cluster,
      webAcl: this.webAcl,
    });
    // Both charts run pods with Pod Identity credentials: the agent and the nodes come first.
    for (const chart of [this.autoscaler.chart, this.loadBalancerController.chart]) {
      chart.node.addDependency(podIdentityAgent, this.workers);
    }

    // The notification Lambda's spans reach the cluster's trace collector through an internal load balancer, whose
    // target group the manifests bind the collector's pods to by name.
    this.traceIngress = new TraceIngress(this, 'TraceIngress', {
      vpc: props.vpc,
      workloads: this.cluster.clusterSecurityGroup,
      targetGroupName: traceIngressTargetGroupName(env),
      deletionProtection: env.deletionProtection,
    });

    const data = new DataReferences(this, 'Data', { parameters: props.data.parameters });
    // Services reach their data only from the cluster's nodes and pods.
    const workloads = this.cluster.clusterSecurityGroupId;
    allowIngressFrom(
      this,
      'DatabaseFromWorkloads',
      data.databaseSecurityGroup,
      workloads,
      POSTGRES_PORT,
      'EKS workloads',
    );
    allowIngressFrom(this, 'KafkaFromWorkloads', data.kafkaSecurityGroup, workloads, MSK_IAM_TLS_PORT, 'EKS workloads');

    for (const service of props.data.identities.roles.keys()) {
      const association = bindPodIdentity(
        this,
        `${pascal(service)}PodIdentity`,
        this.cluster,
        { namespace: KUBERNETES_NAMESPACE, name: service },
        data.serviceRole(service),
      );
      association.node.addDependency(podIdentityAgent);
    }
    bindPodIdentity(
      this,
      'ExternalSecretsPodIdentity',
      this.cluster,
      { namespace: EXTERNAL_SECRETS_NAMESPACE, name: 'external-secrets' },
      data.externalSecretsRole,
    );
    const externalSecrets = this.cluster.addHelmChart('ExternalSecrets', {
      chart: 'external-secrets',
      repository: 'https://charts.external-secrets.io',
      version: HELM_CHART_VERSIONS['external-secrets'],
      namespace: EXTERNAL_SECRETS_NAMESPACE,
      createNamespace: true,
      values: { installCRDs: true, serviceAccount: { name: 'external-secrets' } },
      // Ready, webhook included, before the root Application syncs the first SecretStore and ExternalSecrets.
      wait: true,
      timeout: Duration.minutes(15),
    });
    externalSecrets.node.addDependency(podIdentityAgent);

    const argocd = this.cluster.addHelmChart('ArgoCd', {
      chart: 'argo-cd',
      repository: 'https://argoproj.github.io/argo-helm',
      version: HELM_CHART_VERSIONS['argo-cd'],
      namespace: ARGOCD_NAMESPACE,
      createNamespace: true,
      values: {
        dex: { enabled: false },
        configs: { params: { 'server.insecure': false } },
        server: { service: { type: 'ClusterIP' } },
      },
      // Its controller and repo server run before the root Applications exist.
      wait: true,
      timeout: Duration.minutes(15),
    });
    argocd.node.addDependency(this.workers);

    // Fluent Bit writes here; the group is ours (encrypted, retained per environment), so it creates no group.
    this.containerLogs = new logs.LogGroup(this, 'ContainerLogs', {
      logGroupName: containerLogGroupName(env),
      retention: retention(env.logRetentionDays),
      encryptionKey: this.key,
      removalPolicy: this.statefulRemovalPolicy,
    });
    this.logShipperRole = podIdentityRole(this, 'LogShipperRole', 'Pod Identity of Fluent Bit: writes container logs');
    this.logShipperRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        // The group's ARN ends in `:*`, which covers its streams.
        resources: [this.containerLogs.logGroupArn],
      }),
    );
    bindPodIdentity(
      this,
      'LogShipperPodIdentity',
      this.cluster,
      { namespace: LOG_SHIPPER.namespace, name: LOG_SHIPPER.serviceAccount },
      this.logShipperRole,
    ).node.addDependency(podIdentityAgent);

    if (props.publicEndpoint) {
      this.publicEndpoint = new PublicEndpoint(this, 'PublicEndpoint', props.publicEndpoint);
      this.externalDns = new ExternalDns(this, 'ExternalDns', {
        cluster: this.cluster,
        hostedZoneId: props.publicEndpoint.hostedZoneId,
        ownerId: clusterName,
      });
      this.externalDns.chart.node.addDependency(podIdentityAgent, this.workers);
      new CfnOutput(this, 'ApiUrl', { value: `https://${props.publicEndpoint.hostname}` });
    }
    this.gitops = new GitOpsRoot(this, 'GitOps', {
      cluster: this.cluster,
      environment: env,
      catalog: props.catalog ?? shop,
      gitRepoUrl: props.gitRepoUrl,
      gitRevision: props.gitRevision,
      argocdNamespace: ARGOCD_NAMESPACE,
      platformNamespace: KUBERNETES_NAMESPACE,
      values: {
        registry: `${this.account}.dkr.ecr.${this.region}.${this.urlSuffix}`,
        imageTag: props.imageTag,
        // From the Data stack's SSM parameter, resolved at each deploy: no export that would freeze the broker list.
        kafkaBootstrapBrokers: ssm.StringParameter.valueForStringParameter(this, kafkaBrokersParameterName(env)),
        publicEndpoint: this.publicEndpoint && {
          hostname: this.publicEndpoint.hostname,
          certificateArn: this.publicEndpoint.certificate.certificateArn,
        },
      },
    });
    const gitops = this.gitops.manifest;
    this.addStackDependency(props.data, 'the root Application reads the MSK brokers parameter of the Data stack');
    if (props.gitRepoPrivate) {
      this.repositoryCredentials = new RepositoryCredentials(this, 'RepositoryCredentials', {
        cluster: this.cluster,
        secretName: resourceName(env, 'git-credentials'),
        gitRepoUrl: props.gitRepoUrl,
        key: this.key,
        reader: data.externalSecretsRole,
        argocdNamespace: ARGOCD_NAMESPACE,
        region: this.region,
      });
      // The store and the ExternalSecret need the operator's CRDs and webhook, and Argo CD's namespace.
      this.repositoryCredentials.manifest.node.addDependency(externalSecrets, argocd);
      gitops.node.addDependency(this.repositoryCredentials.manifest);
    }
    gitops.node.addDependency(argocd);
    gitops.node.addDependency(externalSecrets);
    // Prometheus' and Alertmanager's volume claims name the default StorageClass, with its driver running.
    gitops.node.addDependency(storageClass);
    // The first sync creates the Ingress, which the controller's validating webhook must be up to admit.
    gitops.node.addDependency(this.loadBalancerController.chart);

    this.access = new ClusterAccess(this, 'Access', {
      cluster: this.cluster,
      operatorRoleArn: props.access?.operatorRoleArn,
      pipelineRoleArn: props.access?.pipelineRoleArn,
      argocdNamespace: ARGOCD_NAMESPACE,
      platformNamespace: KUBERNETES_NAMESPACE,
    });
    // The Role lives in Argo CD's namespace, which the chart creates.
    this.access.pipelineRbac?.node.addDependency(argocd);
    this.bastion = new SessionManagerBastion(this, 'Bastion', {
      vpc: props.vpc,
      cluster: this.cluster,
      name: resourceName(env, 'bastion'),
    });

    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'GitOpsPath', { value: `${props.gitRepoUrl}#deploy/k8s/${env.name}` });
    new CfnOutput(this, 'BastionInstanceId', { value: this.bastion.instance.instanceId });
    new CfnOutput(this, 'ApiEndpointHost', { value: Fn.select(1, Fn.split('https://', this.cluster.clusterEndpoint)) });
  }
}
