import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ConfigError } from '../../lib/runtime/config';
import type { StartedService } from '../../lib/runtime/host';
import { createLogger } from '../../lib/runtime/logger';
import { loadStorefrontConfig } from './config';
import { start } from './main';

/** A stand-in for the gateway: records what reached it and answers with a JSON echo. */
interface FakeGateway {
  readonly address: string;
  readonly seen: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

async function fakeGateway(): Promise<FakeGateway> {
  const seen: FakeGateway['seen'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString(),
        headers: req.headers,
      });
      res.writeHead(req.url?.startsWith('/api/v1/orders') ? 402 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echoed: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const silent = createLogger({ service: 'storefront-test', level: 'silent' });
let gateway: FakeGateway;
let shop: StartedService;
let base: string;

beforeAll(async () => {
  gateway = await fakeGateway();
  shop = await start({
    env: { HTTP_PORT: '0', API_GATEWAY_SERVICE_ADDR: gateway.address, LOG_LEVEL: 'silent' },
    host: '127.0.0.1',
    logger: silent,
  });
  base = `http://127.0.0.1:${shop.ports.http}`;
});
afterAll(async () => {
  await shop?.stop();
  await gateway?.close();
});

const assetsOf = (html: string): string[] =>
  [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');

describe('the storefront serves its pages', () => {
  it('serves the one document at / with a strict Content-Security-Policy and no inline script or style', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    const html = await response.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]+<\/script>|<style|style=/);
    expect(assetsOf(html)).toHaveLength(2);
  });

  it('serves the hashed script and style sheet, cached for good, and the first page is under 150 KB compressed', async () => {
    const html = await (await fetch(`${base}/`)).text();
    let compressed = gzipSync(html).length;
    for (const asset of assetsOf(html)) {
      const response = await fetch(`${base}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      compressed += gzipSync(Buffer.from(await response.arrayBuffer())).length;
    }
    expect(compressed).toBeLessThan(150 * 1024);
  });

  it('answers a path it does not have with a JSON 404 and the same headers', async () => {
    const response = await fetch(`${base}/wp-admin/../etc/passwd`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such page; the shop is at /' } });
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${base}/assets/app-NOPE.js`)).status).toBe(404);
  });

  it('says it is ready once its page is there, with the security headers on the kit routes too', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { site: { ok: true } } });
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('the storefront passes the public API on to the gateway', () => {
  it('passes /api/v1 requests on unchanged: method, path, query, body, headers and the answer’s status', async () => {
    const response = await fetch(`${base}/api/v1/orders?limit=5`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', authorization: 'Bearer t' },
      body: JSON.stringify({ items: [] }),
    });
    expect(response.status).toBe(402);
    expect(await response.json()).toEqual({ echoed: '/api/v1/orders?limit=5' });
    const seen = gateway.seen.at(-1);
    expect(seen).toMatchObject({ method: 'POST', url: '/api/v1/orders?limit=5', body: '{"items":[]}' });
    expect(seen?.headers).toMatchObject({ 'idempotency-key': 'k-1', authorization: 'Bearer t' });
  });

  it('passes nothing else on: /api without v1, or a path that only starts alike, is not the API', async () => {
    const before = gateway.seen.length;
    expect((await fetch(`${base}/api/v1x/products`)).status).toBe(404);
    expect((await fetch(`${base}/api`)).status).toBe(404);
    expect(gateway.seen.length).toBe(before);
  });

  it('answers 502 in the API’s error shape when the gateway does not answer', async () => {
    const down = await start({
      env: { HTTP_PORT: '0', API_GATEWAY_SERVICE_ADDR: '127.0.0.1:1', LOG_LEVEL: 'silent' },
      host: '127.0.0.1',
      logger: silent,
    });
    try {
      const response = await fetch(`http://127.0.0.1:${down.ports.http}/api/v1/products`);
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({
        error: { code: 'UNAVAILABLE', message: 'the shop cannot reach its API just now; try again in a moment' },
      });
    } finally {
      await down.stop();
    }
  });
});

describe('the storefront’s configuration', () => {
  it.each([
    ['API_GATEWAY_SERVICE_ADDR', 'not an address', /API_GATEWAY_SERVICE_ADDR: must be host:port/],
    ['HTTP_PORT', '70000', /HTTP_PORT: must be a port number/],
    ['API_PROXY_TIMEOUT_MS', '0', /API_PROXY_TIMEOUT_MS/],
  ])('refuses %s=%j, naming it', (variable, value, message) => {
    const attempt = () => loadStorefrontConfig({ [variable]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('defaults to the catalog’s ports', () => {
    expect(loadStorefrontConfig({})).toMatchObject({ HTTP_PORT: 8090, API_GATEWAY_SERVICE_ADDR: 'localhost:8080' });
  });
});
