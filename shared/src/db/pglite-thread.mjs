// The embedded database's own thread (threaded-pglite.ts): PGlite's WebAssembly PostgreSQL runs here,
// so its queries never hold the all-in-one's event loop. One query at a time, in the order they come;
// the dialect on the other side already serializes connections and transactions. Plain JavaScript:
// a worker thread does not inherit the TypeScript loader the process runs under.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const db = new PGlite(workerData.dir);

parentPort.on('message', async (request) => {
  if (request.type === 'close') {
    await db.close().catch(() => {});
    parentPort.postMessage({ type: 'closed' });
    return;
  }
  try {
    const { rows, affectedRows } = await db.query(request.sql, request.params);
    parentPort.postMessage({ type: 'rows', id: request.id, rows, affectedRows });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', id: request.id, error: fieldsOf(err) });
  }
});

/** A database error's fields (code, constraint, detail...) as plain data: an Error does not cross threads whole. */
function fieldsOf(err) {
  if (!(err instanceof Error)) return { message: String(err) };
  const plain = Object.entries(err).filter(([, value]) => typeof value !== 'object' && typeof value !== 'function');
  return { ...Object.fromEntries(plain), name: err.name, message: err.message };
}
