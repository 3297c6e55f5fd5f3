import { describeDeliveryRecordsContract } from './delivery-records.contract';
import { InMemoryDeliveryRecords } from './in-memory-delivery-records';

describeDeliveryRecordsContract('InMemoryDeliveryRecords', (clock) => new InMemoryDeliveryRecords(clock.now));
