import should from 'should';
import { retryDelayMs } from '../../nodes/lib/retry-delay';

describe('retryDelayMs', () => {
  it('doubles from the first delay and stops at the longest', () => {
    should([1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelayMs(a, 1000, 60_000))).eql([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });
  it('stays finite and capped however many failures came before', () => {
    should(retryDelayMs(1e9, 250, 30_000)).equal(30_000);
    should(retryDelayMs(0, 250, 30_000)).equal(250);
  });
});
