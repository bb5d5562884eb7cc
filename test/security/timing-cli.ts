// npm run security:timing [-- --tries=200 --cost=10]
// Starts two edges and a worker on the machine's Redis, RabbitMQ and PostgreSQL (as the security suite
// does) and times logins for unknown emails against wrong passwords on a real account, one request at a
// time, alternating, over both edges. Prints the medians and their difference for docs/security.md.
import { parseArgs } from 'node:util';
import { startDeployment } from './support/deployment.ts';
import { describeTiming, measureLoginTiming } from './support/timing.ts';

const { values } = parseArgs({ options: { tries: { type: 'string', default: '200' }, cost: { type: 'string', default: '10' } } });
const tries = Number(values.tries);
const cost = Number(values.cost);
if (!Number.isInteger(tries) || tries < 1 || !Number.isInteger(cost) || cost < 4 || cost > 15) {
  console.error('--tries must be a positive integer and --cost between 4 and 15');
  process.exit(2);
}

const deployment = await startDeployment('timing', { env: { BCRYPT_COST: String(cost), LOG_LEVEL: 'info' } });
try {
  // A few logins first, so that neither kind pays for warming up the processes.
  await measureLoginTiming([deployment.a.url, deployment.b.url], 10);
  const timing = await measureLoginTiming([deployment.a.url, deployment.b.url], tries);
  if (timing.answers.size !== 1) console.error(`answers differed: ${[...timing.answers].join(' | ')}`);
  console.log(describeTiming(timing, cost));
} finally {
  await deployment.stop();
}
