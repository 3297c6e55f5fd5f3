import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

const localSecretsSchema = z.object({
  jwtSecret: z.string().min(32),
  adminEmail: z.string().min(3),
  adminPassword: z.string().min(16),
});

export type LocalSecrets = z.infer<typeof localSecretsSchema>;

/**
 * The secrets of a local platform: generated on first start and kept in `<dataDir>/secrets.json` (mode
 * 0600) so a restart keeps tokens valid and the admin's password unchanged. Never used in the cloud,
 * where Secrets Manager holds them.
 */
export function loadOrCreateLocalSecrets(dataDir: string): { secrets: LocalSecrets; created: boolean } {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = localSecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `${file} is not a valid local secrets file (${parsed.error.issues[0]?.message}); delete it to start afresh`,
      );
    }
    return { secrets: parsed.data, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: LocalSecrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    adminEmail: 'admin@shopfront.local',
    adminPassword: `${randomBytes(12).toString('base64url')}-Aa1`,
  };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secrets, created: true };
}
