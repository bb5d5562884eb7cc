// Preloaded with --import: records the URL of every module the process resolves, for tests that check
// what a role loads. The hooks run on the loader thread; the URLs come back over a MessagePort.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const loaded = new Set();
port1.on('message', (url) => loaded.add(url));
port1.unref();
globalThis.loadedModules = loaded;
register('./module-recorder-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
