import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Bench, BenchSelectionError, selectBenches } from '../../load-tests/bench/select.ts';

/** `npm run bench`'s choice of benches (load-tests/bench/select.ts), on a table of stand-ins. */
const bench = (name: string, byDefault = true): Bench => ({ name, byDefault, run: async () => ({ bench: name }) });
const TABLE = [bench('verify'), bench('verify-metrics'), bench('login'), bench('refresh'), bench('overload', false), bench('audit-10m', false)];
const names = (benches: Bench[]) => benches.map((b) => b.name);

test('no names: every bench marked byDefault, in the table order', () => {
  assert.deepEqual(names(selectBenches(TABLE, [], undefined)), ['verify', 'verify-metrics', 'login', 'refresh']);
  assert.deepEqual(names(selectBenches(TABLE, [], '')), ['verify', 'verify-metrics', 'login', 'refresh']);
});

test('names on the command line, with commas or as separate words, in the table order whatever their own', () => {
  assert.deepEqual(names(selectBenches(TABLE, ['refresh,verify'], undefined)), ['verify', 'refresh']);
  assert.deepEqual(names(selectBenches(TABLE, ['refresh', 'overload'], undefined)), ['refresh', 'overload']);
});

test('BENCH_ONLY names them too; the command line wins over it', () => {
  assert.deepEqual(names(selectBenches(TABLE, [], 'audit-10m, login')), ['login', 'audit-10m']);
  assert.deepEqual(names(selectBenches(TABLE, ['verify'], 'login')), ['verify']);
});

test('an unknown name (an old letter, a typo) is an error that lists the benches, not a run that measures nothing', () => {
  assert.throws(
    () => selectBenches(TABLE, ['verify,a'], undefined),
    (err: unknown) =>
      err instanceof BenchSelectionError &&
      /unknown bench "a"/.test(err.message) &&
      err.message.includes('overload (not by default)') &&
      err.message.includes('verify-metrics'),
  );
  assert.throws(() => selectBenches(TABLE, [], 'refrseh'), BenchSelectionError);
});
