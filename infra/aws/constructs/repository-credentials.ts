import {
  type aws_eks_v2 as eks,
  aws_iam as iam,
  type aws_kms as kms,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

const EXTERNAL_SECRETS_API = 'external-secrets.io/v1';
/** The label by which Argo CD recognizes a Secret as the credentials of a repository. */
export const ARGOCD_REPOSITORY_LABEL = { 'argocd.argoproj.io/secret-type': 'repository' } as const;

export interface RepositoryCredentialsProps {
  readonly cluster: eks.ICluster;
  /** Name of the Secrets Manager secret (`{"username","password"}`). */
  readonly secretName: string;
  /** The repository the credentials are for. */
  readonly gitRepoUrl: string;
  /** Encrypts the secret. */
  readonly key: kms.IKey;
  /** External Secrets Operator's Pod Identity role: it alone may read the secret. */
  readonly reader: iam.IRole;
  /** Argo CD's namespace: the store, the ExternalSecret and the resulting Secret live there. */
  readonly argocdNamespace: string;
  readonly region: string;
}

/**
 * Credentials of a private repository for Argo CD, kept in Secrets Manager and never in a template or manifest: the
 * secret is created with a generated placeholder password, a person puts the repository's read-only token there
 * (`aws secretsmanager put-secret-value`), and External Secrets keeps Argo CD's repository Secret in sync with it.
 */
export class RepositoryCredentials extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: RepositoryCredentialsProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: `Read-only credentials Argo CD uses for ${props.gitRepoUrl}: {"username","password"} (a token)`,
      encryptionKey: props.key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'git' }),
        generateStringKey: 'password',
      },
    });
    // A policy of this stack on the role of the Data stack: a grant on the role itself would tie the stacks in a cycle.
    new iam.Policy(this, 'ReaderPolicy', {
      roles: [props.reader],
      statements: [
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [this.secret.secretArn],
        }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.key.keyArn] }),
      ],
    });
    const store = 'git-credentials';
    this.manifest = props.cluster.addManifest(
      'RepositoryCredentials',
      {
        apiVersion: EXTERNAL_SECRETS_API,
        kind: 'SecretStore',
        metadata: { name: store, namespace: props.argocdNamespace },
        spec: { provider: { aws: { service: 'SecretsManager', region: props.region } } },
      },
      {
        apiVersion: EXTERNAL_SECRETS_API,
        kind: 'ExternalSecret',
        metadata: { name: 'git-repository', namespace: props.argocdNamespace },
        spec: {
          refreshInterval: '5m',
          secretStoreRef: { kind: 'SecretStore', name: store },
          target: {
            name: 'git-repository',
            template: {
              metadata: { labels: { ...ARGOCD_REPOSITORY_LABEL } },
              data: { type: 'git', url: props.gitRepoUrl, username: '{{ .username }}', password: '{{ .password }}' },
            },
          },
          dataFrom: [{ extract: { key: props.secretName } }],
        },
      },
    );
  }
}
