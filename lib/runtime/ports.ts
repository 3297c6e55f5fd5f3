import { createServer } from 'node:net';

/**
 * Whether `port` on `host` is taken: tries to listen there and closes at once. Errors other than the port being
 * in use (an address this machine does not have, a port it may not bind) are thrown, naming the address.
 */
export function portInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(true);
      else reject(new Error(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`));
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}
