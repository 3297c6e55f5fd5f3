import { execFileSync } from 'node:child_process';
import { type BannerFacts, shellWord, startBanner } from './local-banner';

const facts: BannerFacts = {
  seconds: 7.44,
  gatewayUrl: 'http://127.0.0.1:8080',
  shopUrl: 'http://127.0.0.1:8090/',
  dataDir: '/home/ada/shop/.data',
  database: 'embedded PostgreSQL in /home/ada/shop/.data/postgres',
  events: 'event log in the same PostgreSQL',
  isolation: 'worker',
  services: [
    { name: 'api-gateway', ports: { http: 8080 } },
    { name: 'analytics', ports: {} },
  ],
  admin: { email: 'admin@shopfront.local', password: 'pw-Aa1', created: true },
};

/** What a POSIX shell makes of a command line: its words, one per line. */
const wordsOf = (line: string): string[] =>
  execFileSync('sh', ['-c', `for word in ${line}; do printf '%s\\n' "$word"; done`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

describe('the npm start banner', () => {
  const banner = startBanner(facts);
  const commandAfter = (program: string) =>
    banner
      .split('\n')
      .find((line) => line.trimStart().startsWith(`${program} `))
      ?.trim() ?? '';

  it('says where the gateway, each service and the followed files are, and the new admin’s credentials', () => {
    expect(banner).toContain('Shopfront is up in 7.4 s');
    expect(banner).toMatch(/shop +http:\/\/127\.0\.0\.1:8090\/ +\(open it in a browser; .*8090\/#\/console\)/);
    expect(banner).toContain('http://127.0.0.1:8080   (OpenAPI: http://127.0.0.1:8080/api/v1/openapi.json)');
    expect(banner).toMatch(/api-gateway +http:8080/);
    expect(banner).toMatch(/analytics +\(consumes orders\)/);
    expect(banner).toMatch(/notifications +\/home\/ada\/shop\/\.data\/notifications\.jsonl/);
    expect(banner).toMatch(/analytics windows +\/home\/ada\/shop\/\.data\/analytics-results\.jsonl/);
    expect(banner).toContain('admin@shopfront.local / pw-Aa1   (new; kept in /home/ada/shop/.data/secrets.json)');
  });

  it('offers a curl command whose URL a shell (zsh too) takes as it is: quoted, since it holds a ?', () => {
    expect(commandAfter('curl')).toBe("curl -s 'http://127.0.0.1:8080/api/v1/products?limit=3'");
  });

  it('offers tail -F on both files, which the services create empty at start', () => {
    expect(commandAfter('tail')).toBe(
      'tail -F /home/ada/shop/.data/notifications.jsonl /home/ada/shop/.data/analytics-results.jsonl',
    );
  });

  it('quotes a DATA_DIR with spaces or quotes so the shell reads each path back whole', () => {
    const odd = startBanner({ ...facts, dataDir: "/tmp/ada's shop" });
    const tail = odd.split('\n').find((line) => line.includes('tail -F')) ?? '';
    expect(wordsOf(tail.replace('tail -F', ''))).toEqual([
      "/tmp/ada's shop/notifications.jsonl",
      "/tmp/ada's shop/analytics-results.jsonl",
    ]);
  });

  it('leaves plain words unquoted and quotes anything a shell would expand', () => {
    expect(shellWord('/tmp/data-1/x.jsonl')).toBe('/tmp/data-1/x.jsonl');
    for (const word of ['a?b', 'a*b', 'a b', "a'b", 'a$b', 'a;b', '~/x', 'a&b']) {
      expect(shellWord(word)).not.toBe(word);
      expect(wordsOf(shellWord(word))).toEqual([word]);
    }
  });
});
