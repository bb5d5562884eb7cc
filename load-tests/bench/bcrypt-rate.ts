import bcrypt from 'bcrypt';

/**
 * The baseline of bench (b): bcrypt compares per second on this process's libuv thread pool (sized
 * like the worker's, through bin/threadpool.cjs), with as many compares in flight as threads.
 */
const cost = Number(process.env.BCRYPT_COST ?? 12);
const seconds = Number(process.env.SECONDS ?? 8);
const threads = Number(process.env.UV_THREADPOOL_SIZE);
const hash = await bcrypt.hash('bench password 1', cost);
let done = 0;
const until = Date.now() + seconds * 1000;
const started = Date.now();
await Promise.all(
  Array.from({ length: threads }, async () => {
    while (Date.now() < until) {
      if (!(await bcrypt.compare('bench password 1', hash))) throw new Error('compare failed');
      done++;
    }
  }),
);
console.log(JSON.stringify({ comparesPerSecond: done / ((Date.now() - started) / 1000), threads, cost }));
