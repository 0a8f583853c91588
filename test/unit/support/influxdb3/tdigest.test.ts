// The t-digest port against DataFusion's own tests of it (functions-aggregate-common tdigest.rs
// mod tests): the same data, the same error bounds; and the values worked out by hand.
import should from 'should';
import { approxPercentileCont } from '../../../support/influxdb3/tdigest';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** tdigest.rs assert_error_bounds: relative error below 1% unless told otherwise. */
function withinBounds(values: number[], q: number, want: number, allowed = 0.01): void {
  const got = approxPercentileCont(values, q)!;
  should(Math.abs(want - got) / want < allowed).be.true(`quantile ${q}: got ${got}, want ${want}`);
}

describe("DataFusion's t-digest, ported for the test server", () => {
  it('estimates a uniform distribution as test_int64_uniform and test_merge_unsorted_against_uniform_distro', () => {
    const thousand = range(1, 1000).reverse();
    withinBounds(thousand, 0.1, 100);
    withinBounds(thousand, 0.5, 500);
    withinBounds(thousand, 0.9, 900);
    const million = range(1, 1_000_000);
    withinBounds(million, 1, 1_000_000);
    withinBounds(million, 0.99, 990_000);
    withinBounds(million, 0.01, 10_000);
    withinBounds(million, 0, 1);
    withinBounds(million, 0.5, 500_000);
  });

  it('estimates a skewed distribution as test_merge_unsorted_against_skewed_distro', () => {
    const values = [...range(1, 600_000), ...new Array<number>(400_000).fill(1_000_000)];
    withinBounds(values, 0.99, 1_000_000);
    withinBounds(values, 0.01, 10_000);
    withinBounds(values, 0.5, 500_000);
  });

  it('interpolates between single-value centroids, clamped to the neighbours', () => {
    const ten = range(1, 10);
    should([0.1, 0.5, 0.9, 0.95, 1].map((q) => approxPercentileCont(ten, q))).eql([1.5, 5.5, 9.5, 10, 10]);
    should(approxPercentileCont([], 0.5)).equal(null);
    should(approxPercentileCont([7], 0.5)).equal(7);
  });
});
