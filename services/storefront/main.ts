import { existsSync } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { loadStorefrontConfig, SERVICE_NAME, type StorefrontConfig } from './config';
import { createStorefrontApp } from './transport/http-app';
import { buildStorefront, WEB_SOURCES } from './web/build';

/** The built site the image carries beside this file (deploy/docker/Dockerfile builds it). */
export const PREBUILT_SITE = path.join(__dirname, 'public');

/**
 * The site to serve: the image's prebuilt one, or, in a source checkout, a fresh build of the sources into a
 * temporary folder (removed at stop), so `npm start` and the tests always serve the code as it is.
 */
async function siteDir(onStop: (name: string, run: () => Promise<void>) => void): Promise<string> {
  if (existsSync(path.join(PREBUILT_SITE, 'index.html')) || !existsSync(WEB_SOURCES)) return PREBUILT_SITE;
  const dir = await mkdtemp(path.join(tmpdir(), 'shopfront-storefront-'));
  onStop('remove the built site', () => rm(dir, { recursive: true, force: true }));
  await buildStorefront(dir);
  return dir;
}

/** storefront: the shop's pages and the operator's console on HTTP_PORT, `/api/v1` passed on to the gateway. */
export const storefront: ServiceDefinition<StorefrontConfig> = {
  name: SERVICE_NAME,
  config: loadStorefrontConfig,
  build: async ({ config, logger, metrics, health, serveHttp, onStop }) => {
    const dir = await siteDir(onStop);
    // Ready = the page it serves is there; the gateway's own readiness is the gateway's.
    health.add('site', () => access(path.join(dir, 'index.html')));
    const app = createStorefrontApp({
      logger,
      metrics,
      health,
      siteDir: dir,
      gatewayAddress: config.API_GATEWAY_SERVICE_ADDR,
      proxyTimeoutMs: config.API_PROXY_TIMEOUT_MS,
    });
    await serveHttp('http', config.HTTP_PORT, app);
    return {};
  },
};

export const start = (options: StartOptions) => startService(storefront, options);

if (require.main === module) runService(storefront);
