#!/usr/bin/env bash
# The integration tier: every *.integration.test.ts against a throwaway PostgreSQL and Kafka. The broker-outage
# test freezes its broker and leaves its orders on the topics, so it gets a broker of its own: the analytics
# expectations of the other end-to-end tests count what is on the `orders` topic. The Kafka ACL custom resource is
# proven on a broker of its own with SASL/SCRAM and an authorizer (KAFKA_SECURITY=sasl-scram), as MSK's SCRAM listener.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning --disable-warning=TimeoutNegativeWarning'
jest=(npx jest --config jest.integration.config.ts)
bash scripts/with-postgres.sh bash -c "
  bash scripts/with-kafka.sh ${jest[*]} --testPathIgnorePatterns /node_modules/ /cdk.out/ /dist/ broker-outage handlers/kafka-acls &&
  bash scripts/with-kafka.sh ${jest[*]} test/e2e/broker-outage
"
KAFKA_SECURITY=sasl-scram bash scripts/with-kafka.sh "${jest[@]}" infra/aws/handlers/kafka-acls
