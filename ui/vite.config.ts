// Builds the web app into dist/ui, which the API serves (scripts/build.mjs runs this after esbuild).
// `npx vite ui` serves it with hot reload, proxying /api to a `weir dev` on port 8080.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  base: "/",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: "../dist/ui",
    emptyOutDir: true,
    // elkjs's worker is one large prebuilt script; it is loaded only when a graph is drawn.
    chunkSizeWarningLimit: 3000,
  },
  server: { proxy: { "/api": "http://localhost:8080" } },
});
