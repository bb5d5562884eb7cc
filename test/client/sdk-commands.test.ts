import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS as FEATURE_COMMANDS } from '@authgate/features/list';
import { COMMANDS as SDK_COMMANDS } from '../../client/src/commands.ts';

/**
 * The SDK cannot load the features' contracts (zod stays out of the browser build): it builds its
 * table from their zod-free routes (features/<name>/routes.ts). Held here to the feature list, command
 * by command, as the client will send each one.
 */
describe('the SDK command table', () => {
  test('has every command of the feature list, with its method, path, auth and WebSocket message', () => {
    const sdk = SDK_COMMANDS as Record<string, (typeof SDK_COMMANDS)[keyof typeof SDK_COMMANDS] | undefined>;
    for (const command of FEATURE_COMMANDS) {
      const spec = sdk[command.kind];
      assert.ok(spec, `the SDK has no ${command.kind}`);
      const param = command.rest.pathParam;
      const path = spec.path(param === undefined ? {} : { [param]: 'x' });
      assert.deepEqual(
        { method: spec.method, path, bearer: spec.bearer, wsType: spec.wsType },
        { method: command.rest.method, path: command.rest.path.replace(/:[a-z]+$/, 'x'), bearer: command.auth === 'session', wsType: command.kind },
        command.kind,
      );
      if (param !== undefined) assert.deepEqual('inPath' in spec ? spec.inPath : undefined, [param], command.kind);
    }
  });

  test('sends deferred (X-Connection-Id) only what the edge may defer: commands without a session', () => {
    const contracts = new Map(FEATURE_COMMANDS.map((command) => [command.kind as string, command]));
    for (const [name, spec] of Object.entries(SDK_COMMANDS)) {
      if (spec.deferrable) assert.equal(contracts.get(name)?.auth, 'none', name);
    }
  });
});
