import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The SDK as one minified ES module for browsers without a bundler: client/dist/authgate-client.js. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: true,
    // Library ES builds keep whitespace by default; this file is served as it is, so minify it fully.
    rolldownOptions: { output: { minify: true } },
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'authgate-client.js' },
  },
});
