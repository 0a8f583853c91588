// Values as sensors, gateways and broken devices send them, for the tests that hold a fast path
// against the general one: every kind of float, integer, boolean and timestamp a reading may carry,
// edge cases included.
import { Random } from '../../nodes/lib/simulator/seeded-random';

/** Floats as sensors and broken sensors send them. */
export function generatedFloat(rng: Random): unknown {
  switch (rng.int(0, 9)) {
    case 0:
      return Math.round(rng.normal(25, 30) * 100) / 100;
    case 1:
      return Math.round(rng.normal(0, 1e6) * 10 ** rng.int(0, 6)) / 10 ** rng.int(0, 6);
    case 2:
      return (rng.next() - 0.5) * 10 ** rng.int(-12, 25);
    case 3:
      return [
        0,
        -0,
        1e21,
        -1e21,
        1e-7,
        -1e-7,
        5e-324,
        1.7976931348623157e308,
        2 ** 31,
        2 ** 31 - 1,
        -(2 ** 31),
        21474836.47,
        214748364.7,
        2147483.647,
        0.1 + 0.2,
        2 ** 53,
        2 ** 53 + 2,
        1 / 3,
        0.5,
        -0.5,
        0.005,
        0.0001,
        0.00001,
        99.995,
        100,
        -40,
        125,
      ][rng.int(0, 26)];
    case 4:
      return Math.round(rng.next() * 1e5) / 1000;
    case 5:
      return String(Math.round(rng.normal(25, 5) * 100) / 100);
    case 6:
      return [NaN, Infinity, -Infinity, ' 12.5 ', '1e3', 'x', true, null, undefined, 10n, {}][rng.int(0, 10)];
    default:
      return Math.round(rng.next() * 1e4) / 100;
  }
}

export function generatedInteger(rng: Random): unknown {
  switch (rng.int(0, 5)) {
    case 0:
      return rng.int(-2000, 2000);
    case 1:
      return [
        0,
        -0,
        2 ** 31 - 1,
        2 ** 31,
        -(2 ** 31),
        2 ** 53 - 1,
        -(2 ** 53 - 1),
        2 ** 53,
        2 ** 53 + 2,
        1.5,
        -7.25,
        NaN,
        Infinity,
        -Infinity,
        1e21,
      ][rng.int(0, 14)];
    case 2:
      // Integers beyond 2^53 as strings, and other numeric strings.
      return ['9007199254740993', '-9007199254740993', '12345678901234567890', '42', ' 7 ', '4e2', '0x10', '1_000'][
        rng.int(0, 7)
      ];
    case 3:
      return BigInt(rng.int(-1000, 1000)) * 10n ** BigInt(rng.int(0, 20));
    case 4:
      return [true, 'seven', null, undefined, [], {}][rng.int(0, 5)];
    default:
      return rng.int(-100, 10);
  }
}

export function generatedBoolean(rng: Random): unknown {
  return [true, false, true, false, 1, 0, 'true', 'FALSE', ' 1 ', 'yes', 2, null][rng.int(0, 11)];
}

export function generatedTimestamp(rng: Random, second: number): unknown {
  const ms = second * 1000 + rng.int(0, 999);
  const iso = new Date(ms).toISOString();
  switch (rng.int(0, 19)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return iso;
    case 4:
      // every length of fraction, sub-millisecond included
      return `${iso.slice(0, 19)}${['', '.1', '.12', '.1234', '.12345', '.123456', '.1234567', '.12345678', '.123456789'][rng.int(0, 8)]}Z`;
    case 5:
      return ms;
    case 6:
      return ms + rng.int(1, 999) / 1000;
    case 7:
      return [Math.floor(ms / 1000), ms / 1000, ms * 1000, ms * 1e6, ms * 1000 + 7][rng.int(0, 4)];
    case 8:
      return [String(ms), String(ms) + '000000', BigInt(ms) * 1_000_000n + 123n, new Date(ms)][rng.int(0, 3)];
    case 9:
      // offsets, lower-case z, a space, no zone, a date alone
      return [
        `${iso.slice(0, 19)}+01:00`,
        `${iso.slice(0, 23)}-05:30`,
        `${iso.slice(0, 23)}+0530`,
        `${iso.slice(0, 23)}z`,
        `${iso.slice(0, 10)} ${iso.slice(11)}`,
        iso.slice(0, 23),
        iso.slice(0, 10),
        `${iso.slice(0, 19)},5Z`,
      ][rng.int(0, 7)];
    case 10:
      // leap years and the edges of the storable range
      return [
        '2024-02-29T12:00:00.5Z',
        '2000-02-29T00:00:00Z',
        '2100-02-29T00:00:00Z',
        '2023-02-29T00:00:00Z',
        // Not '1970-01-01T00:00:00[.f]Z' nor '2262-04-11T23:47:16.854Z' and after: there the
        // cached-second path has always differed from the general one (it writes a second 0 as
        // "0" + the fraction's digits, and the last storable second whole, past int64 too), and
        // this work keeps every output as it was.
        '1970-01-01T00:00:01Z',
        '1970-01-01T00:16:40Z',
        '1970-01-01T00:16:39.999Z',
        '1969-12-31T23:59:59.999Z',
        '1677-09-21T00:12:44Z',
        '2262-04-11T23:47:15.5Z',
        '2262-04-12T00:00:00Z',
      ][rng.int(0, 10)];
    case 11:
      return [
        0,
        -1,
        999,
        1e6,
        1e11,
        1e11 - 1,
        1e14 - 1,
        9_223_372_036_853,
        9_223_372_036_854,
        -1e12,
        1e30,
        NaN,
        Infinity,
        -0,
      ][rng.int(0, 13)];
    case 12:
      return ['', 'now', '2026-13-45', '2026-11-22T10:15:00.12a4Z', '2026-11-22T24:00:00Z', true, {}, []][
        rng.int(0, 7)
      ];
    case 13:
      return undefined;
    case 14:
      return null;
    default:
      return iso;
  }
}
