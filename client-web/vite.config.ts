import { defineConfig } from 'vite';

// The dev server proxies the API and the WebSockets to a running kortvaeg
// (KORTVAEG_URL, default http://127.0.0.1:8080), so `npm run dev` works against the real server.
const target = process.env.KORTVAEG_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: {
    proxy: {
      '/api': { target, changeOrigin: true },
      '/healthz': { target, changeOrigin: true },
      '/ws': { target: target.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
    },
  },
});
