import { defineConfig } from 'vitest/config';

// The API serves the built dashboard from src/csm/web_dist (see src/csm/api/app.py).
export default defineConfig({
  base: '/',
  build: {
    outDir: '../src/csm/web_dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
