import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadConfig } from '../../load-tests/config.ts';
import type { RunReport } from '../../load-tests/report/types.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run test:load`'s script with `args`, bounded in time (killed, and the test fails, after `timeoutMs`). */
export function runLoadCli(args: string[], timeoutMs = 300_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'load-tests/run.ts', ...args], {
      cwd: ROOT,
      // The LOAD_* variables of whoever runs the tests must not change the counts the tests expect.
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LOAD_'))),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`load run did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The project's load config with small counts, short durations and the thresholds given. */
export function writeSmallConfig(file: string, change: (config: LoadConfig) => void): void {
  const config = JSON.parse(readFileSync(path.join(ROOT, 'load-tests', 'config.json'), 'utf8')) as LoadConfig;
  const s = config.scenarios;
  s['rest-auth'] = { ...s['rest-auth'], users: 12, maxSeconds: 120 };
  s['ws-auth'] = { ...s['ws-auth'], users: 12, maxSeconds: 120 };
  s['verify-storm'] = { ...s['verify-storm'], tokens: 3, connections: 4, durationS: 2 };
  s['refresh-storm'] = { ...s['refresh-storm'], sessions: 4, durationS: 2 };
  s.mixed = { ...s.mixed, restUsers: 3, wsUsers: 3, durationS: 2 };
  for (const scenario of Object.values(s)) scenario.thresholds = {};
  config.deployment = { ...config.deployment, edges: 1, workers: 1 };
  change(config);
  writeFileSync(file, JSON.stringify(config, null, 2));
}

/** The JSON report a run wrote, found by the path it printed. */
export function readReport(stdout: string): { report: RunReport; jsonFile: string; htmlFile: string } {
  const jsonFile = /JSON report: (.+)/.exec(stdout)?.[1]?.trim();
  const htmlFile = /HTML report: (.+)/.exec(stdout)?.[1]?.trim();
  if (!jsonFile || !htmlFile) throw new Error(`the run printed no report paths:\n${stdout}`);
  return { report: JSON.parse(readFileSync(jsonFile, 'utf8')) as RunReport, jsonFile, htmlFile };
}
