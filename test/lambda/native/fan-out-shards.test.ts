/**
 * The key ranges of a sharded fan-out: every connection id at or after the start is in exactly one range, the
 * ranges are as many as asked (while the id alphabet allows), and random ids spread evenly over them.
 */
import fc from 'fast-check';
import { shardRanges } from '../../../lambda/native/fan-out-shards';
import { apiGatewayId } from '../../../local/support/ids';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_';
const inRange = (id: string, r: { from: string; to?: string }) => id >= r.from && (r.to === undefined || id < r.to);

it('puts every id at or after the start in exactly one range', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100 }),
      fc.string({ unit: fc.constantFrom(...BASE64), minLength: 1, maxLength: 16 }),
      fc.array(fc.string({ unit: fc.constantFrom(...BASE64), minLength: 1, maxLength: 16 }), { maxLength: 50 }),
      (count, start, ids) => {
        const ranges = shardRanges(count, start);
        expect(ranges.length).toBeGreaterThanOrEqual(1);
        expect(ranges.length).toBeLessThanOrEqual(count);
        for (const id of ids) {
          const holding = ranges.filter((r) => inRange(id, r)).length;
          expect(holding).toBe(id >= start ? 1 : 0);
        }
      },
    ),
  );
});

it('spreads random ids evenly: no range holds more than twice its share', () => {
  const ranges = shardRanges(8, '+');
  expect(ranges).toHaveLength(8);
  const ids = Array.from({ length: 20_000 }, () => apiGatewayId());
  const counts = ranges.map((r) => ids.filter((id) => inRange(id, r)).length);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(ids.length);
  for (const n of counts) expect(n).toBeLessThan((2 * ids.length) / 8);
});
