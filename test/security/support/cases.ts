import { test } from 'node:test';

/**
 * The suite's cases: node:test cases that are also counted, so the run ends with `security cases: N`.
 */
let registered = 0;
let passed = 0;

export function attack(name: string, fn: () => Promise<void> | void, options: { timeout?: number } = {}): void {
  registered++;
  test(name, { timeout: options.timeout ?? 120_000 }, async () => {
    await fn();
    passed++;
  });
}

export function caseCounts(): { registered: number; passed: number } {
  return { registered, passed };
}
