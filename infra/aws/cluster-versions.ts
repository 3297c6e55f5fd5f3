import { KubectlV34Layer } from '@aws-cdk/lambda-layer-kubectl-v34';
import { aws_eks_v2 as eks } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Everything whose version follows the cluster's, in one place. Upgrades are deliberate, reviewed changes, made
 * together, one Kubernetes minor version at a time (EKS upgrades the control plane one minor at a time):
 *
 * 1. Raise `KUBERNETES_VERSION` and the kubectl layer to the next minor (`@aws-cdk/lambda-layer-kubectl-v<minor>`).
 * 2. For each add-on below, take a version EKS lists for that minor:
 *    `aws eks describe-addon-versions --kubernetes-version 1.<minor> --addon-name <name>
 *       --query 'addons[].addonVersions[].addonVersion'`
 *    (kube-proxy's version matches the minor; the others support a range of minors).
 * 3. Take the Cluster Autoscaler chart whose appVersion is the same minor (its image must match the cluster's minor).
 * 4. Check the Helm charts below against the new minor's deprecations, then `cdk diff` and deploy dev first.
 *
 * `deploy/k8s` renders with the same minor (`charts-ts/config.ts`, `kubernetesVersion`).
 */
export const KUBERNETES_VERSION = eks.KubernetesVersion.V1_34;

/** The kubectl and Helm binaries of the kubectl handler, for `KUBERNETES_VERSION`. */
export const kubectlLayer = (scope: Construct, id: string) => new KubectlV34Layer(scope, id);

/** The EKS managed add-ons the cluster runs, and their versions for Kubernetes 1.34. */
export const EKS_ADDON_VERSIONS = {
  'vpc-cni': 'v1.20.4-eksbuild.2',
  coredns: 'v1.12.3-eksbuild.1',
  'kube-proxy': 'v1.34.0-eksbuild.2',
  'eks-pod-identity-agent': 'v1.3.10-eksbuild.2',
  'aws-ebs-csi-driver': 'v1.54.0-eksbuild.1',
  // An EKS community add-on: AWS builds and versions it, the project maintains it.
  'metrics-server': 'v0.8.0-eksbuild.6',
} as const;

export type EksAddonName = keyof typeof EKS_ADDON_VERSIONS;

/**
 * The AWS Load Balancer Controller: aws-cdk-lib pairs each version with its chart and ships the IAM policy of that
 * version, which the Cluster stack grants.
 */
export const LOAD_BALANCER_CONTROLLER_VERSION = eks.AlbControllerVersion.V2_17_1;

/** Helm charts the Cluster stack installs, pinned by chart version. */
export const HELM_CHART_VERSIONS = {
  'argo-cd': '9.1.0',
  'external-secrets': '0.20.4',
  // appVersion 1.34.2: the autoscaler's minor must be the cluster's.
  'cluster-autoscaler': '9.53.0',
  // appVersion 0.20.0.
  'external-dns': '1.20.0',
} as const;
