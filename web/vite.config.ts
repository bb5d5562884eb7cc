import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The page the gateway serves at `/` (services/edge/src/http/page.ts): web/dist. No inline script or
 * style anywhere, so that the page runs under a CSP of `'self'` only.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  base: '/',
  // The SDK from its sources: the page does not wait for client/dist to be built.
  resolve: { alias: { '@authgate/client': fileURLToPath(new URL('../client/src/index.ts', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be an inline script; every browser the page targets has modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
