import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/** External Secrets Operator's served API version (chart 0.20.x serves external-secrets.io/v1). */
const API_VERSION = 'external-secrets.io/v1';

export interface AwsSecretStoreProps {
  readonly name: string;
  readonly namespace: string;
  readonly region: string;
}

/**
 * A namespaced SecretStore for AWS Secrets Manager. It has no `auth`: the operator then uses its own
 * credentials, the Pod Identity role of ServiceAccount external-secrets/external-secrets (Cluster stack), which may
 * read exactly the services' secrets. Namespaced rather than a ClusterSecretStore: the root AppProject allows no
 * cluster-scoped kind but Namespace, and a namespaced store cannot be referenced from another namespace.
 */
export class AwsSecretStore extends ApiObject {
  constructor(scope: Construct, id: string, props: AwsSecretStoreProps) {
    super(scope, id, {
      apiVersion: API_VERSION,
      kind: 'SecretStore',
      metadata: { name: props.name, namespace: props.namespace },
      spec: { provider: { aws: { service: 'SecretsManager', region: props.region } } },
    });
  }
}

export interface ExternalSecretProps {
  readonly name: string;
  readonly namespace: string;
  readonly storeName: string;
  readonly labels?: Record<string, string>;
  /** Secrets Manager secret whose JSON keys are extracted and offered to `template`. */
  readonly extractFrom?: string;
  /** Secrets Manager secret copied as a plain string into `key`. */
  readonly plainValue?: { readonly remoteKey: string; readonly key: string };
  /** Keys of the Kubernetes Secret rendered from the remote JSON keys (ESO template engine v2). */
  readonly template?: Record<string, string>;
  /** @default '1h' */
  readonly refreshInterval?: string;
}

/** A Kubernetes Secret kept in sync with AWS Secrets Manager; the value never appears in a manifest. */
export class ExternalSecret extends ApiObject {
  constructor(scope: Construct, id: string, props: ExternalSecretProps) {
    if ((props.extractFrom === undefined) === (props.plainValue === undefined)) {
      throw new Error(`ExternalSecret '${props.name}': set exactly one of 'extractFrom' and 'plainValue'`);
    }
    super(scope, id, {
      apiVersion: API_VERSION,
      kind: 'ExternalSecret',
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        refreshInterval: props.refreshInterval ?? '1h',
        secretStoreRef: { kind: 'SecretStore', name: props.storeName },
        target: {
          name: props.name,
          creationPolicy: 'Owner',
          deletionPolicy: 'Retain',
          ...(props.template
            ? { template: { type: 'Opaque', engineVersion: 'v2', mergePolicy: 'Replace', data: props.template } }
            : {}),
        },
        ...(props.extractFrom ? { dataFrom: [{ extract: { key: props.extractFrom } }] } : {}),
        ...(props.plainValue
          ? { data: [{ secretKey: props.plainValue.key, remoteRef: { key: props.plainValue.remoteKey } }] }
          : {}),
      },
    });
  }
}
