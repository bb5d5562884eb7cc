'use strict';
// libuv sizes its thread pool once, on first use, from UV_THREADPOOL_SIZE. Preloaded with --require,
// this runs before any ESM loading touches the pool, so the worker's bcrypt gets the threads the
// machine has (or what the environment asks for) rather than libuv's fixed default of 4.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

process.env.UV_THREADPOOL_SIZE ||= String(os.availableParallelism());
lowerPasswordThreads();

/**
 * BCRYPT_NICE (default 10): the pool's threads, where bcrypt runs, get that nice value, so that a login
 * storm on a machine shared with edges (or, all-in-one, with this process's own event loop) takes the
 * CPU the edges leave rather than the edges' share (verify p99 stays low under a login storm). Linux gives
 * each thread its own nice value and a new thread inherits its creator's: libuv starts every pool
 * thread at once on the pool's first use, so the threads that appear then are the pool, and only they
 * are lowered; the main thread (the event loop: I/O, the session lane) keeps its priority. Raising a
 * nice value needs no privilege. Elsewhere than Linux, or for roles without bcrypt, nothing is done.
 *
 * BCRYPT_NICE=idle puts the pool threads under SCHED_IDLE instead: any other runnable thread preempts
 * them at once. No privilege is needed to enter SCHED_IDLE; Node has no call for it, so util-linux's
 * chrt sets it, per thread (without --all-tasks chrt changes only the thread it is given). Where chrt
 * is missing or refused, the threads get nice 19, the nearest a nice value comes.
 */
function lowerPasswordThreads() {
  const target = targetOf(process.argv);
  if (target !== 'worker' && target !== 'all') return;
  const setting = process.env.BCRYPT_NICE ?? '10';
  const nice = setting === 'idle' ? 19 : Number(setting);
  // A bad value is named by the config check at start; here it only means "leave the priorities alone".
  if (!Number.isInteger(nice) || nice <= 0 || nice > 19 || process.platform !== 'linux') return;
  const tasks = () => new Set(fs.readdirSync('/proc/self/task'));
  const before = tasks();
  fs.stat(__filename, () => {});
  for (const tid of tasks()) {
    if (before.has(tid)) continue;
    if (setting === 'idle' && schedIdle(tid)) continue;
    try {
      os.setPriority(Number(tid), nice);
    } catch {
      // The thread is gone, or the system refuses: bcrypt runs at the normal priority then.
    }
  }
}

function schedIdle(tid) {
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', tid], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function targetOf(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--target=')) return argv[i].slice('--target='.length);
    if (argv[i] === '--target') return argv[i + 1];
  }
  return argv.some((a) => a.endsWith('authgate.ts')) ? 'all' : undefined;
}
