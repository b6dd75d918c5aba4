import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// The desktop shell loads the built files from dist/; the dev server is
// only for working on the interface.
export default defineConfig({
  plugins: [vue()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
