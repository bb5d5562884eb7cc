import http from 'node:http';

/**
 * A login flood from one address, in its own process so that its work does not slow the measuring
 * test's own event loop: `concurrency` logins with unknown emails in flight, each sent again `pauseMs`
 * after its answer, until stdin closes. Prints `{ "byStatus": {...}, "firstWave": {...} }` on exit.
 *
 *   node --import tsx test/attacks/support/flood.ts <url> <x-forwarded-for> <concurrency> <pauseMs>
 */
const [url, address, concurrencyArg, pauseArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const pauseMs = Number(pauseArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const byStatus: Record<string, number> = {};
const firstWave: Record<string, number> = {};
let running = true;
let sent = 0;

function login(): Promise<number> {
  const body = JSON.stringify({ email: `flood-${process.pid}-${sent++}@example.test`, password: 'correct horse battery' });
  return new Promise((resolve) => {
    const req = http.request(
      `${url}/auth/login`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': address } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function loop(): Promise<void> {
  for (let round = 0; running; round++) {
    const status = String(await login());
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (round === 0) {
      firstWave[status] = (firstWave[status] ?? 0) + 1;
      if (Object.values(firstWave).reduce((a, b) => a + b, 0) === concurrency) process.stdout.write('first wave answered\n');
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

process.stdin.on('end', () => {
  running = false;
});
process.stdin.resume();
await Promise.all(Array.from({ length: concurrency }, loop));
agent.destroy();
process.stdout.write(`${JSON.stringify({ byStatus, firstWave })}\n`);
