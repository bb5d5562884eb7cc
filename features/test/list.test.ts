import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS, FEATURES } from '@authgate/features/list';
import { COMMAND_KINDS, clientFrame } from '@authgate/shared/protocol';
import type { WorkerContext } from '@authgate/worker/context';
import { loadHandlers } from '@authgate/worker/feature';
import { edgePaths } from '../../services/api/src/openapi/edge-paths.ts';

/** The feature list is the one source of the command tables: these are the checks a new feature must pass. */
describe('the feature list', () => {
  test('every command kind and every REST route is declared once', () => {
    const kinds = COMMANDS.map((command) => command.kind);
    assert.deepEqual(kinds.length, new Set(kinds).size, 'a kind is declared twice');
    const routes = COMMANDS.map((command) => `${command.rest.method} ${command.rest.path}`);
    assert.deepEqual(routes.length, new Set(routes).size, 'a route is declared twice');
    assert.deepEqual([...COMMAND_KINDS], kinds);
  });

  test('a command anyone may send is a POST with a JSON body; only signed-in commands read no body or a path parameter', () => {
    for (const command of COMMANDS) {
      if (command.auth === 'none') assert.deepEqual([command.rest.method, command.rest.body], ['POST', 'json'], command.kind);
      if (command.rest.pathParam !== undefined) assert.match(command.rest.path, /:[a-z]+$/, command.kind);
    }
  });

  test('the WebSocket frame schema has a message for every command', () => {
    const types = new Set(clientFrame.options.map((option) => option.shape.type.value as string));
    for (const kind of COMMAND_KINDS) assert.ok(types.has(kind), kind);
  });

  test('every command has a handler in its feature, and no handler is for another command', async () => {
    // The handlers are only bound here, never run: no driver of the context is reached.
    const handlers = await loadHandlers({} as WorkerContext);
    assert.deepEqual(Object.keys(handlers).sort(), [...COMMAND_KINDS].sort());
  });

  test('the OpenAPI document has an operation for every command route, named edge_<kind>', async () => {
    const paths = await edgePaths();
    for (const command of COMMANDS) {
      const path = command.rest.path.replace(/:([a-z]+)/g, '{$1}');
      const operation = (paths[path] as Record<string, { operationId?: string }> | undefined)?.[command.rest.method.toLowerCase()];
      assert.equal(operation?.operationId, `edge_${command.kind}`, `${command.rest.method} ${path}`);
    }
  });

  test('every feature with commands has its worker and OpenAPI parts', () => {
    for (const feature of FEATURES) {
      if (feature.commands.length === 0) continue;
      assert.ok(feature.worker, `${feature.name}: worker part`);
      assert.ok(feature.openapi, `${feature.name}: OpenAPI part`);
    }
  });
});
