// Bundles src/app.js and src/app.css (every page) and src/graphiql_ide.js/.css (only
// /profile-graphiql) with esbuild into OUT_DIR (argument 1, default dist/) with
// content-hashed names, and writes manifest.json {"app.js": "app-<hash>.js", …} that the
// web module reads. Fails when the pages' gzipped JavaScript exceeds the budget (issue #6);
// the IDE's bundle is reported on its own (docs/frontend.md).
import { build } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const JS_BUDGET_GZIP_BYTES = 100 * 1024;
const here = new URL(".", import.meta.url).pathname;
const outDir = resolve(process.argv[2] ?? join(here, "dist"));

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const result = await build({
  entryPoints: ["app.js", "app.css", "graphiql_ide.js", "graphiql_ide.css"].map((f) => join(here, "src", f)),
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  outdir: outDir,
  entryNames: "[name]-[hash]",
  metafile: true,
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },  // React's production build
  logLevel: "warning",
});

const manifest = {};
let jsGzip = 0;
let ideGzip = 0;
for (const file of readdirSync(outDir)) {
  const logical = file.replace(/-[A-Z0-9]{8}\./, ".");
  if (file.endsWith(".js") || file.endsWith(".css")) manifest[logical] = file;
  if (!file.endsWith(".js")) continue;
  const gz = gzipSync(readFileSync(join(outDir, file)), { level: 9 }).length;
  if (logical === "graphiql_ide.js") ideGzip += gz;
  else jsGzip += gz;
}
writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

console.log(`frontend: ${Object.keys(result.metafile.outputs).map((f) => basename(f)).join(", ")}`);
console.log(`frontend: JavaScript ${jsGzip} bytes gzipped (budget ${JS_BUDGET_GZIP_BYTES})`);
console.log(`frontend: GraphiQL IDE JavaScript ${ideGzip} bytes gzipped (only /profile-graphiql)`);
if (jsGzip > JS_BUDGET_GZIP_BYTES) {
  console.error("frontend: JavaScript over its gzip budget");
  process.exit(1);
}
