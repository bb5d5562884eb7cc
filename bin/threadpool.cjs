'use strict';
// libuv sizes its thread pool once, on first use, from UV_THREADPOOL_SIZE. Preloaded with --require,
// this runs before any ESM loading touches the pool, so the worker's bcrypt gets the threads the
// machine has (or what the environment asks for) rather than libuv's fixed default of 4.
process.env.UV_THREADPOOL_SIZE ||= String(require('node:os').availableParallelism());
