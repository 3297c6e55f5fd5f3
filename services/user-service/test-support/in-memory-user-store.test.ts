import { userStoreContract } from '../store/user-store.contract';
import { InMemoryUserStore } from './in-memory-user-store';

// The fake the domain tests use is held to the same contract as the SQL store.
describe('InMemoryUserStore', () => {
  userStoreContract(async () => ({ store: new InMemoryUserStore() }));
});
