import { aws_eks_v2 as eks, aws_iam as iam } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PERSISTENT_STORAGE_CLASS } from '../../../lib/platform';
import { EKS_ADDON_VERSIONS, type EksAddonName } from '../cluster-versions';
import { podIdentityRole } from './service-identities';

export interface ManagedAddonOptions {
  /** Add-on settings, as `aws eks describe-addon-configuration` lists them. @default - the add-on's defaults */
  readonly configurationValues?: Record<string, unknown>;
  /** Pod Identity associations EKS creates with the add-on, by ServiceAccount. @default - none */
  readonly podIdentities?: Readonly<Record<string, iam.IRole>>;
}

/**
 * An EKS managed add-on at the version `EKS_ADDON_VERSIONS` pins. It takes over the self-managed copy EKS installs
 * on a new cluster (vpc-cni, coredns, kube-proxy): conflicting fields are overwritten, on create and on update.
 */
export function managedAddon(
  scope: Construct,
  id: string,
  cluster: eks.ICluster,
  name: EksAddonName,
  options: ManagedAddonOptions = {},
): eks.Addon {
  const addon = new eks.Addon(scope, id, {
    cluster,
    addonName: name,
    addonVersion: EKS_ADDON_VERSIONS[name],
    configurationValues: options.configurationValues,
  });
  const resource = addon.node.defaultChild as eks.CfnAddon;
  resource.resolveConflicts = 'OVERWRITE';
  if (options.podIdentities) {
    resource.podIdentityAssociations = Object.entries(options.podIdentities).map(([serviceAccount, role]) => ({
      serviceAccount,
      roleArn: role.roleArn,
    }));
  }
  return addon;
}

/** The ServiceAccount of the EBS CSI driver's controller, which creates, attaches and deletes volumes. */
export const EBS_CSI_CONTROLLER_SERVICE_ACCOUNT = 'ebs-csi-controller-sa';

/** The Pod Identity role of the EBS CSI driver's controller: AWS's managed policy for the driver. */
export function ebsCsiDriverRole(scope: Construct, id: string): iam.Role {
  const role = podIdentityRole(scope, id, 'Pod Identity of the EBS CSI driver controller: manages EBS volumes');
  role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEBSCSIDriverPolicy'));
  return role;
}

/** The cluster's default StorageClass: encrypted gp3 volumes from the EBS CSI driver, created where the pod lands. */
export const GP3_STORAGE_CLASS = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: PERSISTENT_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'ebs.csi.aws.com',
  parameters: { type: 'gp3', encrypted: 'true' },
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
  allowVolumeExpansion: true,
};
