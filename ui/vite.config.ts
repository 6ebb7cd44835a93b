import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the UI with hot reload and forwards the API to a
// `stepwise serve` on 127.0.0.1:8083 (POST / and GET /ui-api/…).
const api = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.STEPWISE_ENDPOINT ?? 'http://127.0.0.1:8083';

export default defineConfig({
  plugins: [react()],
  build: { chunkSizeWarningLimit: 4000 },
  server: {
    proxy: {
      '/ui-api': api,
      '^/$': {
        target: api,
        bypass: (req) => (req.method === 'POST' ? undefined : req.url),
      },
    },
  },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
