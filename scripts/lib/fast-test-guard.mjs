import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

/**
 * Preloaded into every file `npm run test:fast` runs (scripts/run-tests.mjs): a fast test runs on the
 * in-process drivers and PGlite, so starting a child process or opening a connection to the
 * machine's PostgreSQL, Redis or RabbitMQ ends the file at once with the reason. A file listed as
 * fast that breaks the rule fails instead of quietly making the fast loop slow.
 */
// The machine's services as the tests find them (scripts/lib/services.ts). Plain JavaScript: PGlite's
// worker threads load this file too, without the TypeScript loader.
const BROKERS = new Map(
  [
    [process.env.TEST_DATABASE_ADMIN_URL, 'PostgreSQL', 5432],
    [process.env.TEST_REDIS_URL, 'Redis', 6379],
    [process.env.TEST_AMQP_URL, 'RabbitMQ', 5672],
  ].map(([url, name, fallback]) => [Number((url && new URL(url).port) || fallback), name]),
);

/** @param {string} what */
function refuse(what) {
  const message = `test:fast: this file ${what}; a fast test uses the in-process drivers and PGlite only (move it out of FAST_TESTS in scripts/run-tests.mjs)`;
  process.stderr.write(`${message}\n${new Error(message).stack}\n`);
  // Exit rather than throw: a driver that catches the error would retry and hang the file.
  process.exit(1);
}

// The test runner itself spawns one process per file; only those files are held to the rule.
const inTestFile = process.env.NODE_TEST_CONTEXT?.startsWith('child') === true;

if (inTestFile) guard();

function guard() {
  for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {
    Object.defineProperty(childProcess, name, { value: () => refuse(`starts a child process (child_process.${name})`), writable: true, configurable: true });
  }
  syncBuiltinESMExports();

  /** The port a Socket#connect call names, in any of its forms (net.connect hands it an array of normalized arguments). */
  /** @param {unknown[]} args @returns {number | undefined} */
  function portOf(args) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) return Number(first);
    if (first && typeof first === 'object' && 'port' in first) return Number(first.port);
    return undefined;
  }

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const port = portOf(args);
    const broker = port === undefined ? undefined : BROKERS.get(port);
    if (broker) refuse(`connects to ${broker} (port ${port})`);
    return connect.apply(this, args);
  };
}
