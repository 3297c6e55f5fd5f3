import * as path from 'node:path';
import { loadConfig } from '../../lib/runtime/config';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { createProbeListener } from '../../lib/runtime/http-server';
import { MockCardProcessor } from './adapters/mock-card-processor';
import {
  configShape,
  type PaymentServiceConfig,
  paymentTimings,
  SCHEMA,
  SECRET_VARIABLES,
  SERVICE_NAME,
} from './config';
import { Payments } from './domain/payments';
import { PostgresPaymentStore } from './store/payment-store';
import { PROTO_FILES, PROTO_INCLUDE_DIRS, paymentGrpcService } from './transport/grpc';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** payment-service: charges and refunds over gRPC, idempotent by order id, behind a card processor. */
export const paymentService: ServiceDefinition<PaymentServiceConfig> = {
  name: SERVICE_NAME,
  config: (env) => loadConfig(configShape, env, [...SECRET_VARIABLES]),
  database: { schema: SCHEMA, migrations: MIGRATIONS_DIR },
  build: async ({ config, db, logger, metrics, health, serveGrpc, serveHttp, onStop }) => {
    const processor = new MockCardProcessor({ slowTokenDelayMs: config.SLOW_TOKEN_DELAY_MS });
    const payments = new Payments(new PostgresPaymentStore(db), processor, paymentTimings(config.SLOW_TOKEN_DELAY_MS));
    // A call whose client gave up (deadline) still records its processor outcome before the database closes.
    onStop('finish processor calls', () => payments.settled());
    await serveGrpc('grpc', config.GRPC_PORT, {
      services: [paymentGrpcService(payments)],
      protoFiles: PROTO_FILES,
      protoIncludeDirs: PROTO_INCLUDE_DIRS,
    });
    await serveHttp('metrics', config.METRICS_PORT, createProbeListener({ logger, metrics, health }));
    return {};
  },
};

export const start = (options: StartOptions) => startService(paymentService, options);

if (require.main === module) runService(paymentService);
