import { after, describe } from 'node:test';
import { allInOneAttacks } from './attacks/all-in-one.ts';
import { bruteForceAttacks } from './attacks/brute-force.ts';
import { enumerationAttacks } from './attacks/enumeration.ts';
import { hostileInputAttacks } from './attacks/hostile-input.ts';
import { logAttacks } from './attacks/logs.ts';
import { passwordAttacks } from './attacks/passwords.ts';
import { tokenAttacks } from './attacks/tokens.ts';
import { caseCounts } from './support/cases.ts';

/**
 * The attack suite: every defence attacked against the running system, two edges and a
 * worker as separate processes on the machine's Redis, RabbitMQ and PostgreSQL. Each part starts a
 * deployment of its own with the settings it attacks; the last part reads everything they printed.
 */
describe('security: attacks against two edges and a worker', () => {
  after(() => {
    const { registered, passed } = caseCounts();
    console.log(`security cases: ${registered} (${passed} passed)`);
  });

  bruteForceAttacks();
  enumerationAttacks();
  passwordAttacks();
  tokenAttacks();
  hostileInputAttacks();
  allInOneAttacks();
  logAttacks();
});
