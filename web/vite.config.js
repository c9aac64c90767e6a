// The dashboard's build: Preact through esbuild's JSX transform (no Babel), served under /app/ by `opsbot serve`.
// Output goes to the Python package (bot/web/static) so a wheel and `make demo` need no Node.
// Reproducible: content hashes only, no timestamps, no source maps.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// src/boot.js is an entry of its own, loaded `async` from index.html: it starts the sign-in as soon as it arrives,
// in parallel with the app's bundle (which imports the same module, so it runs once).
function bootScript() {
  return {
    name: "opsbot-boot-script",
    transformIndexHtml: {
      order: "post",
      handler(html, context) {
        const chunk = Object.values(context.bundle || {}).find((item) => item.type === "chunk" && item.name === "boot");
        if (!chunk) return html;
        const tag = `<script type="module" async crossorigin src="/app/${chunk.fileName}"></script>`;
        // First in <head> (after the charset), so the parser asks for it before anything else.
        return html.replace(/(<meta charset="utf-8" \/>)(\s*)/, `$1$2${tag}$2`);
      },
    },
  };
}

export default defineConfig({
  base: "/app/",
  plugins: [bootScript()],
  esbuild: { jsx: "automatic", jsxImportSource: "preact", legalComments: "none" },
  build: {
    outDir: "../bot/web/static",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2020",
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL("index.html", import.meta.url)),
        boot: fileURLToPath(new URL("src/boot.js", import.meta.url)),
      },
    },
  },
  server: { port: 5173 },
});
