import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DataprocCluster } from '@cdktf/provider-google/lib/dataproc-cluster';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance';
import { FLINK_JOB_DIR, JOB_SQL, renderJobSql } from '../../../analytics/flink-job/template';
import { type EnvironmentName, shop } from '../../../lib/platform';
import { JOB_FILES } from '../constructs/analytics-job';
import { DATAPROC_PROJECT_ROLES } from '../constructs/flink-cluster';
import { linkedConfig, only, ref, resourcesOf, synthesize, TUNNELS } from './fixture';

const environments = shop.environmentNames;

describe.each(environments)('%s analytics stack', (environment: EnvironmentName) => {
  const spec = shop.environment(environment);
  const { json, tf } = synthesize(environment);

  describe('Cloud SQL', () => {
    const instance = only(tf, 'google_sql_database_instance');
    const settings = instance.settings as Record<string, Record<string, unknown>>;

    it('has a private address only, with TLS required (no client certificate: the gateway verifies the server)', () => {
      expect(settings.ip_configuration).toEqual({
        ipv4_enabled: false,
        private_network: ref(tf, 'google_compute_network', 'id'),
        ssl_mode: 'ENCRYPTED_ONLY',
      });
      // The matcher form of the same rule (with Jest, it is partial at the top level only).
      expect(json).toHaveResourceWithProperties(SqlDatabaseInstance, {
        settings: expect.objectContaining({ ip_configuration: expect.objectContaining({ ipv4_enabled: false }) }),
      });
    });

    it('waits for Private Service Access', () => {
      expect(instance.depends_on).toEqual([
        expect.stringMatching(/^google_service_networking_connection\.Network_PrivateServiceAccess_/),
      ]);
    });

    it('keeps backups with point-in-time recovery for the catalog retention', () => {
      expect(settings.backup_configuration).toMatchObject({
        enabled: true,
        point_in_time_recovery_enabled: true,
        backup_retention_settings: { retained_backups: spec.database.backupRetentionDays, retention_unit: 'COUNT' },
      });
    });

    it('is protected from deletion exactly where the catalog says', () => {
      expect(instance.deletion_protection).toBe(spec.deletionProtection);
      expect(settings.deletion_protection_enabled).toBe(spec.deletionProtection);
      expect(settings.availability_type).toBe(spec.database.multiAz ? 'REGIONAL' : 'ZONAL');
    });

    it('authenticates with IAM and logs what CIS asks (including the flags checkov cannot read from JSON)', () => {
      const flags = Object.fromEntries(
        (settings.database_flags as unknown as { name: string; value: string }[]).map((f) => [f.name, f.value]),
      );
      expect(flags).toMatchObject({
        'cloudsql.iam_authentication': 'on',
        'cloudsql.enable_pgaudit': 'on',
        log_lock_waits: 'on',
        log_min_duration_statement: '-1',
        log_connections: 'on',
        log_disconnections: 'on',
        log_checkpoints: 'on',
      });
    });

    it('has no password in the output: the job logs in by IAM, the owner with a write-only password variable', () => {
      const users = resourcesOf(tf, 'google_sql_user').map(([, u]) => u);
      expect(users.map((u) => u.type ?? 'BUILT_IN').sort()).toEqual(['BUILT_IN', 'CLOUD_IAM_SERVICE_ACCOUNT']);
      const owner = users.find((u) => u.type === undefined);
      expect(owner).toMatchObject({ name: 'analytics_owner', password_wo: `\${var.results_db_owner_password}` });
      expect(json).not.toMatch(/"(root_)?password"\s*:/);
      expect(json).not.toMatch(/"secret_data"\s*:/);
      expect(tf.variable?.results_db_owner_password).toMatchObject({ sensitive: true, nullable: false });
      expect(tf.variable?.results_db_reader_password).toMatchObject({ sensitive: true, nullable: false });
    });
  });

  describe('Dataproc', () => {
    const cluster = only(tf, 'google_dataproc_cluster');
    const config = cluster.cluster_config as Record<string, Record<string, unknown>>;
    const gce = config.gce_cluster_config as Record<string, unknown>;

    it('runs the FLINK component on the catalog image, with the component gateway', () => {
      expect(json).toHaveResourceWithProperties(DataprocCluster, {
        cluster_config: expect.objectContaining({
          software_config: expect.objectContaining({
            optional_components: ['FLINK'],
            image_version: spec.gcp.dataproc.imageVersion,
          }),
          endpoint_config: { enable_http_port_access: true },
        }),
      });
    });

    it('has internal addresses only and Shielded VMs', () => {
      for (const [, c] of resourcesOf(tf, 'google_dataproc_cluster')) {
        const g = (c.cluster_config as Record<string, Record<string, unknown>>).gce_cluster_config;
        expect(g?.internal_ip_only).toBe(true);
      }
      expect(gce.subnetwork).toBe(ref(tf, 'google_compute_subnetwork', 'id'));
      expect(gce.shielded_instance_config).toEqual({
        enable_secure_boot: true,
        enable_vtpm: true,
        enable_integrity_monitoring: true,
      });
      expect(gce.metadata).toMatchObject({ 'enable-oslogin': 'true', 'block-project-ssh-keys': 'true' });
    });

    it('has one master and workers bounded by the autoscaling policy from the catalog', () => {
      expect(config.master_config).toMatchObject({ num_instances: 1 });
      expect(config.worker_config).toMatchObject({ num_instances: spec.gcp.dataproc.minWorkers });
      expect(config.autoscaling_config).toEqual({ policy_uri: ref(tf, 'google_dataproc_autoscaling_policy', 'id') });
      expect(only(tf, 'google_dataproc_autoscaling_policy').worker_config).toEqual({
        min_instances: spec.gcp.dataproc.minWorkers,
        max_instances: spec.gcp.dataproc.maxWorkers,
        weight: 1,
      });
    });

    it('runs as its own service account, and starts only after every grant it needs exists', () => {
      expect(gce.service_account).toBe(ref(tf, 'google_service_account', 'email'));
      const grants = [
        ...resourcesOf(tf, 'google_project_iam_member').filter(([id]) => id.startsWith('Flink_')),
        ...resourcesOf(tf, 'google_storage_bucket_iam_member').filter(([id]) => id.startsWith('Flink')),
        ...resourcesOf(tf, 'google_secret_manager_secret_iam_member'),
        ...resourcesOf(tf, 'google_project_iam_member').filter(([id]) => id.startsWith('ResultsDatabase_Flink')),
        ...resourcesOf(tf, 'google_sql_user'),
        ...resourcesOf(tf, 'google_secret_manager_secret_version'),
        ...resourcesOf(tf, 'google_sql_database'),
      ];
      // Its project roles, three buckets, three secrets, Cloud SQL's two roles, two users, the owner's and the
      // gateway's passwords, the database: the job's start applies the migrations (and makes the gateway's login).
      expect(grants).toHaveLength(DATAPROC_PROJECT_ROLES.length + 3 + 3 + 2 + 2 + 2 + 1);
      const dependsOn = cluster.depends_on as string[];
      for (const [id] of grants) expect(dependsOn.some((d) => d.endsWith(`.${id}`))).toBe(true);
    });
  });

  it("grants the cluster's service account exactly its roles, each on its own resource", () => {
    const member = `serviceAccount:${ref(tf, 'google_service_account', 'email')}`;
    const bindings = Object.entries(tf.resource)
      .filter(([type]) => type.endsWith('_iam_member'))
      .flatMap(([type, resources]) =>
        Object.values(resources)
          .filter((r) => r.member === member || r.member === ref(tf, 'google_service_account', 'member'))
          .map((r) => ({
            type,
            role: r.role,
            on: r.bucket ?? r.secret_id ?? r.project,
            condition: (r.condition as { title?: string } | undefined)?.title,
          })),
      );
    const bucket = (logicalId: string) => `\${google_storage_bucket.${logicalId}.name}`;
    expect(bindings).toEqual(
      expect.arrayContaining([
        ...DATAPROC_PROJECT_ROLES.map((role) => ({
          type: 'google_project_iam_member',
          role,
          on: spec.gcp.projectId,
          condition: undefined,
        })),
        {
          type: 'google_project_iam_member',
          role: 'roles/cloudsql.client',
          on: spec.gcp.projectId,
          condition: 'this instance only',
        },
        {
          type: 'google_project_iam_member',
          role: 'roles/cloudsql.instanceUser',
          on: spec.gcp.projectId,
          condition: 'this instance only',
        },
        {
          type: 'google_storage_bucket_iam_member',
          role: 'roles/storage.objectUser',
          on: bucket('StagingBucket'),
          condition: undefined,
        },
        {
          type: 'google_storage_bucket_iam_member',
          role: 'roles/storage.objectViewer',
          on: bucket('ArtifactsBucket'),
          condition: undefined,
        },
        {
          type: 'google_storage_bucket_iam_member',
          role: 'roles/storage.objectCreator',
          on: bucket('ArchiveBucket'),
          condition: undefined,
        },
        {
          type: 'google_secret_manager_secret_iam_member',
          role: 'roles/secretmanager.secretAccessor',
          on: ref(tf, 'google_secret_manager_secret', 'id', /^AwsKafka_/),
          condition: undefined,
        },
        {
          type: 'google_secret_manager_secret_iam_member',
          role: 'roles/secretmanager.secretAccessor',
          on: ref(tf, 'google_secret_manager_secret', 'id', /^ResultsDatabase_OwnerSecret_/),
          condition: undefined,
        },
        // The gateway's password, to make its login.
        {
          type: 'google_secret_manager_secret_iam_member',
          role: 'roles/secretmanager.secretAccessor',
          on: ref(tf, 'google_secret_manager_secret', 'id', /^ResultsDatabase_ReaderSecret_/),
          condition: undefined,
        },
      ]),
    );
    expect(bindings).toHaveLength(DATAPROC_PROJECT_ROLES.length + 2 + 3 + 3);
    // Nothing else is bound to it: no iam_binding / iam_policy resources that could add roles behind our back.
    expect(Object.keys(tf.resource).filter((t) => /_iam_(binding|policy)$/.test(t))).toEqual([]);
  });

  describe('buckets', () => {
    const buckets = resourcesOf(tf, 'google_storage_bucket');

    it('are the staging, artifacts, archive and access-log buckets, named after the project', () => {
      expect(buckets.map(([, b]) => b.name).sort()).toEqual(
        ['dataproc-staging', 'gcs-access-logs', 'job-artifacts', 'results-archive'].map(
          (n) => `${spec.gcp.projectId}-${n}`,
        ),
      );
    });

    it.each(buckets.map(([id, b]) => [id, b] as const))('%s is never public and keeps versions', (_id, b) => {
      expect(b).toMatchObject({
        uniform_bucket_level_access: true,
        public_access_prevention: 'enforced',
        versioning: { enabled: true },
        force_destroy: !spec.deletionProtection,
      });
      expect((b.lifecycle_rule as unknown[]).length).toBeGreaterThan(0);
    });

    it('log access to the access-log bucket (all but that one)', () => {
      for (const [id, b] of buckets) {
        if (id === 'AccessLogsBucket') expect(b.logging).toBeUndefined();
        else
          expect(b.logging).toEqual({
            log_bucket: ref(tf, 'google_storage_bucket', 'name', /^AccessLogsBucket$/),
            log_object_prefix: `${b.name}/`,
          });
      }
    });

    it('are granted to no public principal', () => {
      expect(json).not.toMatch(/"member"\s*:\s*"(allUsers|allAuthenticatedUsers)"/);
    });
  });

  describe('network', () => {
    it('has one subnet, with Private Google Access and flow logs', () => {
      expect(only(tf, 'google_compute_subnetwork')).toMatchObject({
        ip_cidr_range: spec.gcp.network.subnetCidr,
        private_ip_google_access: true,
        log_config: { metadata: 'INCLUDE_ALL_METADATA' },
      });
    });

    it('reserves the catalog range for Private Service Access', () => {
      const [address, prefix] = spec.gcp.network.privateServiceCidr.split('/');
      expect(only(tf, 'google_compute_global_address')).toMatchObject({
        purpose: 'VPC_PEERING',
        address_type: 'INTERNAL',
        address,
        prefix_length: Number(prefix),
      });
      expect(only(tf, 'google_service_networking_connection')).toMatchObject({
        service: 'servicenetworking.googleapis.com',
        reserved_peering_ranges: [ref(tf, 'google_compute_global_address', 'name')],
      });
    });

    it('lets nothing in but the cluster itself', () => {
      const ingress = resourcesOf(tf, 'google_compute_firewall').map(([, f]) => f);
      const allowing = ingress.filter((f) => f.allow);
      expect(allowing).toHaveLength(1);
      expect(allowing[0]).toMatchObject({ source_tags: ['shopfront-dataproc'], target_tags: ['shopfront-dataproc'] });
      expect(allowing[0]?.source_ranges).toBeUndefined();
    });

    it('advertises only the Dataproc subnet and Cloud SQL to AWS, and has no tunnel until AWS reports its tunnels', () => {
      const toAws = resourcesOf(tf, 'google_compute_router').find(([id]) => id.startsWith('AwsKafka_'))?.[1];
      expect(toAws?.bgp).toMatchObject({
        advertise_mode: 'CUSTOM',
        advertised_ip_ranges: [
          { range: spec.gcp.network.subnetCidr, description: expect.any(String) },
          { range: spec.gcp.network.privateServiceCidr, description: expect.any(String) },
        ],
      });
      expect(resourcesOf(tf, 'google_compute_vpn_tunnel')).toEqual([]);
      expect(only(tf, 'google_compute_ha_vpn_gateway')).toBeDefined();
    });
  });

  it('keeps its state in the configured GCS bucket, one prefix per environment', () => {
    expect(tf.terraform.backend).toEqual({
      gcs: { bucket: 'shopfront-terraform-state', prefix: `shopfront-analytics-${environment}` },
    });
  });
});

describe('the Flink job deployed as code', () => {
  const { tf } = synthesize('prod');
  const objects = resourcesOf(tf, 'google_storage_bucket_object').map(([, o]) => o);
  const metadata = (
    (only(tf, 'google_dataproc_cluster').cluster_config as Record<string, Record<string, unknown>>)
      .gce_cluster_config as Record<string, Record<string, string>>
  ).metadata as Record<string, string>;

  const uploaded = (file: string) => objects.find((o) => String(o.name).endsWith(`/${file}`))?.content as string;

  it('uploads the SQL rendered with the catalog windows and the scripts as they are, under a folder of their version', () => {
    const inFolder = (o: Record<string, unknown>) =>
      String(o.name).replace(/^analytics\/flink-job\/[0-9a-f]{12}\//, '');
    expect(objects.map(inFolder).sort()).toEqual([...JOB_FILES].sort());
    for (const object of objects) {
      const file = inFolder(object);
      const expected =
        file === JOB_SQL
          ? renderJobSql(shop.streamWindow('analytics'))
          : readFileSync(path.join(FLINK_JOB_DIR, file), 'utf8');
      expect(object.content).toBe(expected);
      expect(object.bucket).toBe(ref(tf, 'google_storage_bucket', 'name', /^ArtifactsBucket$/));
      expect(object.name).toMatch(/^analytics\/flink-job\/[0-9a-f]{12}\//);
    }
  });

  it('starts it with the initialization action, configured by metadata from the catalog', () => {
    const config = only(tf, 'google_dataproc_cluster').cluster_config as Record<string, unknown>;
    expect(config.initialization_action).toEqual([
      { script: `${metadata['analytics-artifacts']}/start-job.sh`, timeout_sec: 900 },
    ]);
    expect(metadata).toMatchObject({
      'analytics-orders-topic': 'orders',
      'analytics-results-topic': 'analytics-results',
      'analytics-consumer-group': 'analytics.orders',
      'analytics-parallelism': String(shop.environment('prod').gcp.dataproc.jobParallelism),
      'analytics-out-of-orderness-seconds': '5.000',
      'analytics-source-idle-timeout': '10 s',
      'analytics-kafka-credentials-secret': ref(tf, 'google_secret_manager_secret', 'id', /^AwsKafka_/),
      'flink-start-yarn-session': 'true',
    });
    expect(metadata['analytics-checkpoints']).toMatch(
      /^gs:\/\/\$\{google_storage_bucket\.StagingBucket\.name\}\/analytics\/checkpoints\/[0-9a-f]{12}$/,
    );
  });

  it("writes the catalog's 1-minute windows into the uploaded SQL", () => {
    const tumbles = [...uploaded(JOB_SQL).matchAll(/TUMBLE\(.*, (INTERVAL '[^']*' MINUTE)\)\)/g)].map((m) => m[1]);
    expect(tumbles).toEqual(Array(3).fill("INTERVAL '1' MINUTE"));
  });

  it('leaves render.sh exactly the placeholders submit-job.sh sets from the metadata', () => {
    const placeholders = [...new Set([...uploaded(JOB_SQL).matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]))].sort();
    const submit = readFileSync(path.join(FLINK_JOB_DIR, 'submit-job.sh'), 'utf8');
    // One `export A B \` statement, possibly continued over lines, after each is assigned.
    const exported = /^export ((?:[^\n]*\\\n)*[^\n]*)/m
      .exec(submit)?.[1]
      ?.split(/[\s\\]+/)
      .filter(Boolean);
    expect(exported?.sort()).toEqual(placeholders);
    for (const name of placeholders) expect(submit).toMatch(new RegExp(`^${name}=`, 'm'));
  });
});

describe('the link to MSK once AWS reports its VPN tunnels', () => {
  const { tf, json } = synthesize('dev', linkedConfig('dev'));

  it('has four tunnels from the two HA VPN interfaces to the four AWS tunnel addresses, IKEv2', () => {
    const tunnels = resourcesOf(tf, 'google_compute_vpn_tunnel').map(([, t]) => t);
    expect(tunnels.map((t) => [t.vpn_gateway_interface, t.peer_external_gateway_interface, t.ike_version])).toEqual([
      [0, 0, 2],
      [0, 1, 2],
      [1, 2, 2],
      [1, 3, 2],
    ]);
    expect(only(tf, 'google_compute_external_vpn_gateway')).toMatchObject({
      redundancy_type: 'FOUR_IPS_REDUNDANCY',
      interface: TUNNELS.map((t, id) => ({ id, ip_address: t.outsideIp })),
    });
  });

  it('peers BGP with AWS on the inside addresses AWS assigned', () => {
    const peers = resourcesOf(tf, 'google_compute_router_peer').map(([, p]) => [p.peer_ip_address, p.peer_asn]);
    expect(peers).toEqual(
      TUNNELS.map((t) => [t.insideCidr.replace(/\.(\d+)\/30$/, (_m, n) => `.${Number(n) + 1}`), 64512]),
    );
    const interfaces = resourcesOf(tf, 'google_compute_router_interface').map(([, i]) => i.ip_range);
    expect(interfaces).toEqual(
      TUNNELS.map((t) => t.insideCidr.replace(/\.(\d+)\/30$/, (_m, n) => `.${Number(n) + 2}/30`)),
    );
  });

  it('takes the pre-shared keys as sensitive variables, never as values in the output', () => {
    expect(Object.keys(tf.variable ?? {}).filter((v) => v.startsWith('vpn_'))).toEqual(
      [1, 2, 3, 4].map((n) => `vpn_tunnel_${n}_psk`),
    );
    // Every variable but the version number of the gateway's password is a secret.
    for (const [name, variable] of Object.entries(tf.variable ?? {})) {
      expect([name, variable.sensitive]).toEqual([name, name.endsWith('_version') ? undefined : true]);
    }
    const secrets = resourcesOf(tf, 'google_compute_vpn_tunnel').map(([, t]) => t.shared_secret);
    expect(secrets).toEqual([1, 2, 3, 4].map((n) => `\${var.vpn_tunnel_${n}_psk}`));
    expect(json).not.toMatch(/"shared_secret"\s*:\s*"[^$]/);
  });
});
