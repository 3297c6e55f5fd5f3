import { connect } from 'node:net';
import { Health } from './health';
import { createProbeListener, listenHttp, type RunningHttpServer } from './http-server';
import { ServiceMetrics } from './metrics';
import { capturedLogger } from './test-support/logs';
import { expectReadinessFollowsDependency } from './test-support/probes';

describe('probe listener', () => {
  let http: RunningHttpServer;
  let dbUp = true;
  let metricsFail = false;
  const { logger, lines } = capturedLogger();
  const metrics = new ServiceMetrics('test-probe', { defaults: false });
  const health = new Health(logger, { cacheMs: 0 }).add('postgres', async () => {
    if (!dbUp) throw new Error('down');
  });
  const registryMetrics = metrics.registry.metrics.bind(metrics.registry);
  metrics.registry.metrics = () => (metricsFail ? Promise.reject(new Error('scrape broke')) : registryMetrics());

  beforeAll(async () => {
    http = await listenHttp(createProbeListener({ logger, metrics, health }), 0, '127.0.0.1');
  });
  afterAll(() => http.close());

  const url = (p: string) => `http://127.0.0.1:${http.port}${p}`;

  it('answers /livez, and /readyz from the dependencies', async () => {
    const live = await fetch(url('/livez'));
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(url('/readyz?verbose=1'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true } } });
    await expectReadinessFollowsDependency(url, (up) => {
      dbUp = up;
    });
  });

  it('serves the registry in its own content type, with the probes counted by path', async () => {
    await fetch(url('/livez'));
    const scrape = await fetch(url('/metrics'));
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(await scrape.text()).toMatch(
      /http_requests_total\{method="GET",route="\/livez",status_code="200",service="test-probe"\} [1-9]/,
    );
  });

  it('keeps a well-formed request id and replaces a hostile one', async () => {
    const kept = await fetch(url('/livez'), { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(url('/livez'), { headers: { 'x-request-id': 'a b\tc<script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown path with a JSON 404 under one route label, and logs it', async () => {
    const missing = await fetch(url('/orders/123?x=<y>'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'no route GET /orders/123' });
    await fetch(url('/orders/456'));
    const text = await (await fetch(url('/metrics'))).text();
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="unmatched",status_code="404",service="test-probe"\} 2/,
    );
    expect(text).not.toContain('/orders/');
    expect(lines.some((line) => line.msg === 'request' && line.status === 404)).toBe(true);
  });

  it('refuses a method a probe does not take, with Allow, and drains the body it was sent', async () => {
    const posted = await fetch(url('/readyz'), { method: 'POST', body: 'x'.repeat(256 * 1024) });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET, HEAD');
    expect(await posted.json()).toMatchObject({ error: 'method_not_allowed' });
    // The connection stays usable: the next request on the server is answered.
    expect((await fetch(url('/livez'))).status).toBe(200);
  });

  it('answers HEAD without a body', async () => {
    const head = await fetch(url('/livez'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('turns a failing scrape into a JSON 500 and keeps serving', async () => {
    metricsFail = true;
    const failed = await fetch(url('/metrics'));
    metricsFail = false;
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'internal', message: 'the probe failed' });
    expect(lines.some((line) => line.msg === 'probe failed')).toBe(true);
    expect((await fetch(url('/metrics'))).status).toBe(200);
  });

  it('survives a malformed request line', async () => {
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(http.port, '127.0.0.1', () => socket.end('GARBAGE\r\n\r\n'));
      let got = '';
      socket.on('data', (chunk) => {
        got += chunk.toString();
      });
      socket.on('close', () => resolve(got));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(url('/livez'))).status).toBe(200);
  });
});
