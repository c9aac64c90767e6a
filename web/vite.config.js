// The dashboard's build: Preact through esbuild's JSX transform (no Babel), served under /app/ by `opsbot serve`.
// Output goes to the Python package (bot/web/static) so a wheel and `make demo` need no Node.
// Reproducible: content hashes only, no timestamps, no source maps.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/app/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact", legalComments: "none" },
  build: {
    outDir: "../bot/web/static",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2020",
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: { port: 5173 },
});
