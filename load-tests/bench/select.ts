/** One bench of `npm run bench`: its name on the command line, and whether a run without names includes it. */
export interface Bench<Row = unknown> {
  name: string;
  byDefault: boolean;
  run: () => Promise<Row | Row[]>;
}

export class BenchSelectionError extends Error {}

/**
 * The benches a run measures, in the table's order: the names given on the command line
 * (`npm run bench -- verify,refresh`, commas or spaces), else those of BENCH_ONLY, else every bench
 * marked byDefault. An unknown name is an error that lists the known ones: a typo must not become a
 * run that measures nothing.
 */
export function selectBenches<Row>(benches: readonly Bench<Row>[], argv: readonly string[], benchOnly: string | undefined): Bench<Row>[] {
  const fromArgv = argv
    .flatMap((arg) => arg.split(','))
    .map((name) => name.trim())
    .filter(Boolean);
  const fromEnv = (benchOnly ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const names = fromArgv.length > 0 ? fromArgv : fromEnv;
  if (names.length === 0) return benches.filter((bench) => bench.byDefault);
  const known = new Set(benches.map((bench) => bench.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    const list = benches.map((bench) => `${bench.name}${bench.byDefault ? '' : ' (not by default)'}`).join(', ');
    throw new BenchSelectionError(`unknown bench ${unknown.map((name) => JSON.stringify(name)).join(', ')}; the benches are: ${list}`);
  }
  return benches.filter((bench) => names.includes(bench.name));
}
