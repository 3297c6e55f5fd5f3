import * as path from 'node:path';

/** A word as a POSIX shell reads it back unchanged, quoted only when it needs to be (`?`, `*`, spaces, quotes, ...). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface BannerFacts {
  readonly seconds: number;
  /** Where the gateway answers, e.g. http://127.0.0.1:8080. */
  readonly gatewayUrl: string;
  /** Where the shop's pages open in a browser, e.g. http://127.0.0.1:8090/ (its console at #/console). */
  readonly shopUrl: string;
  readonly dataDir: string;
  readonly database: string;
  readonly events: string;
  readonly isolation: string;
  readonly services: readonly { readonly name: string; readonly ports: Readonly<Record<string, number>> }[];
  readonly admin: { readonly email: string; readonly password: string; readonly created: boolean };
  /** Where the services' spans go: the trace file, or the collector at OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly traces?: { readonly file: string } | { readonly collector: string };
}

/** The files the local platform appends to as it works, under DATA_DIR (created at start). */
export const FOLLOWED_FILES = {
  notifications: 'notifications.jsonl',
  'analytics windows': 'analytics-results.jsonl',
} as const;

/**
 * What `npm start` prints once every service is up: where each listens, where the local outputs go, the admin's
 * credentials, and commands to paste into any POSIX shell (bash, zsh): arguments with `?` or spaces are quoted.
 */
export function startBanner(facts: BannerFacts): string {
  const row = (name: string, value: string) => `  ${name.padEnd(20)} ${value}`;
  const ports = (p: Readonly<Record<string, number>>) =>
    Object.entries(p)
      .map(([n, v]) => `${n}:${v}`)
      .join('  ');
  const files = Object.entries(FOLLOWED_FILES).map(([name, file]) => [name, path.join(facts.dataDir, file)] as const);
  const secretsFile = path.join(facts.dataDir, 'secrets.json');
  const admin = `${facts.admin.email} / ${facts.admin.password}`;
  return [
    '',
    `Shopfront is up in ${facts.seconds.toFixed(1)} s — ${facts.database}, ${facts.events}; each service in its own ${facts.isolation}`,
    row('shop', `${facts.shopUrl}   (open it in a browser; the operator's console: ${facts.shopUrl}#/console)`),
    row('gateway', `${facts.gatewayUrl}   (OpenAPI: ${facts.gatewayUrl}/api/v1/openapi.json)`),
    ...facts.services.map((s) => row(s.name, ports(s.ports) || '(consumes orders)')),
    ...files.map(([name, file]) => row(name, file)),
    ...(facts.traces
      ? [row('traces', 'file' in facts.traces ? facts.traces.file : `OTLP collector at ${facts.traces.collector}`)]
      : []),
    row('admin', `${admin}${facts.admin.created ? `   (new; kept in ${secretsFile})` : ''}`),
    '',
    'Try:',
    `  curl -s ${shellWord(`${facts.gatewayUrl}/api/v1/products?limit=3`)}`,
    `  tail -F ${files.map(([, file]) => shellWord(file)).join(' ')}`,
    ...(facts.traces && 'file' in facts.traces ? ['  npm run trace -- <order id>   (its trace, as a waterfall)'] : []),
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}
