import * as grpc from '@grpc/grpc-js';
import type { Logger } from './logger';

/** The two versions of gRPC server reflection that grpcurl, Postman and grpcui ask for. */
const REFLECTION_METHODS = [
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
] as const;

type Handler = (stream: grpc.ServerDuplexStream<unknown, unknown>) => void;
interface LoadedMethod {
  readonly definition: grpc.MethodDefinition<unknown, unknown>;
  readonly handler: Handler;
}

const asIs = (bytes: Buffer) => bytes;

/**
 * Server reflection whose implementation is loaded by the first reflection call instead of at start.
 * @grpc/reflection, with the services' .proto files parsed by proto-loader and protobufjs, is ~2.8 MiB of heap in
 * every gRPC service; reflection is asked for when someone explores a service with grpcurl or Postman, never on the
 * path of a request. Until then the server knows the two reflection methods by name and passes their messages
 * through as bytes; the first call loads the implementation, and every call's messages are decoded and encoded
 * with its definitions.
 */
export function addLazyReflection(
  server: grpc.Server,
  protoFiles: readonly string[],
  includeDirs: readonly string[],
  logger: Logger,
): void {
  let loaded: Map<string, LoadedMethod> | undefined;
  const load = (): Map<string, LoadedMethod> => {
    if (loaded) return loaded;
    const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
    const { ReflectionService } = require('@grpc/reflection') as typeof import('@grpc/reflection');
    const definitions = protoLoader.loadSync([...protoFiles], {
      includeDirs: [...includeDirs],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const methods = new Map<string, LoadedMethod>();
    // The library adds its services to a server; this one only records what it would have served.
    const recorder = {
      addService(service: grpc.ServiceDefinition, implementation: Record<string, Handler>) {
        for (const [key, definition] of Object.entries(service)) {
          const handler = implementation[key];
          if (handler) methods.set(definition.path, { definition, handler });
        }
      },
    };
    new ReflectionService(definitions).addToServer(recorder as unknown as grpc.Server);
    for (const path of REFLECTION_METHODS) {
      if (!methods.has(path)) throw new Error(`@grpc/reflection no longer serves ${path}`);
    }
    loaded = methods;
    return methods;
  };

  for (const path of REFLECTION_METHODS) {
    const definition: grpc.MethodDefinition<Buffer, Buffer> = {
      path,
      requestStream: true,
      responseStream: true,
      requestSerialize: asIs,
      requestDeserialize: asIs,
      responseSerialize: asIs,
      responseDeserialize: asIs,
      originalName: 'serverReflectionInfo',
    };
    const serve = (stream: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      let method: LoadedMethod | undefined;
      try {
        method = load().get(path);
      } catch (error) {
        logger.error({ err: error }, 'server reflection could not be loaded');
      }
      if (!method) {
        stream.emit('error', { code: grpc.status.INTERNAL, details: 'server reflection is unavailable' });
        return;
      }
      method.handler(decoding(stream, method.definition));
    };
    server.addService({ ServerReflectionInfo: definition }, { ServerReflectionInfo: serve });
  }
}

/**
 * The stream as the loaded handler expects it: 'data' listeners get decoded requests and `write` takes responses to
 * encode. A request that does not decode ends the call with INTERNAL, as grpc-js answers one for any other method.
 */
function decoding(
  stream: grpc.ServerDuplexStream<Buffer, Buffer>,
  definition: grpc.MethodDefinition<unknown, unknown>,
): grpc.ServerDuplexStream<unknown, unknown> {
  const listen =
    (method: 'on' | 'once' | 'addListener') =>
    (event: string | symbol, listener: (...args: unknown[]) => void): unknown => {
      if (event !== 'data') {
        stream[method](event, listener);
        return proxy;
      }
      stream[method]('data', (bytes: Buffer) => {
        let request: unknown;
        try {
          request = definition.requestDeserialize(bytes);
        } catch {
          stream.emit('error', { code: grpc.status.INTERNAL, details: 'Error deserializing request' });
          return;
        }
        listener(request);
      });
      return proxy;
    };
  const overrides: Record<string | symbol, unknown> = {
    on: listen('on'),
    once: listen('once'),
    addListener: listen('addListener'),
    write: (response: unknown, ...rest: unknown[]) =>
      (stream.write as (...args: unknown[]) => boolean)(definition.responseSerialize(response), ...rest),
  };
  const proxy: grpc.ServerDuplexStream<unknown, unknown> = new Proxy(stream, {
    get(target, property) {
      if (property in overrides) return overrides[property];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as grpc.ServerDuplexStream<unknown, unknown>;
  return proxy;
}
