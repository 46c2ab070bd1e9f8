// Bundles src/app.js and src/app.css (every page) and src/graphiql_ide.js/.css (only
// /profile-graphiql) with esbuild into OUT_DIR (argument 1, default dist/) with
// content-hashed names, and writes manifest.json {"app.js": "app-<hash>.js", …} that the
// web module reads. Fails when the pages' gzipped JavaScript exceeds the budget (issue #6);
// the IDE's bundle is reported on its own (docs/frontend.md).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
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

// The map's land shapes (world-atlas, Natural Earth 1:110m) are data, not code: a file of its
// own, hashed like the bundle, that the front page fetches (docs/frontend.md, "The map").
const require = createRequire(import.meta.url);
const landSource = require.resolve("world-atlas/land-110m.json");
const landHash = createHash("sha256").update(readFileSync(landSource)).digest("hex").slice(0, 8).toUpperCase();
copyFileSync(landSource, join(outDir, `land-110m-${landHash}.json`));

const manifest = {};
let jsGzip = 0;
let ideGzip = 0;
for (const file of readdirSync(outDir)) {
  const logical = file.replace(/-[A-Z0-9]{8}\./, ".");
  if (file.endsWith(".js") || file.endsWith(".css") || file.endsWith(".json")) manifest[logical] = file;
  if (!file.endsWith(".js")) continue;
  const gz = gzipSync(readFileSync(join(outDir, file)), { level: 9 }).length;
  if (logical === "graphiql_ide.js") ideGzip += gz;
  else jsGzip += gz;
}
writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

console.log(`frontend: ${Object.keys(result.metafile.outputs).map((f) => basename(f)).join(", ")}`);
console.log(`frontend: JavaScript ${jsGzip} bytes gzipped (budget ${JS_BUDGET_GZIP_BYTES})`);
console.log(`frontend: GraphiQL IDE JavaScript ${ideGzip} bytes gzipped (only /profile-graphiql)`);
const land = readFileSync(landSource);
console.log(`frontend: map data land-110m.json ${land.length} bytes, ${gzipSync(land, { level: 9 }).length} gzipped (fetched by the front page)`);
if (jsGzip > JS_BUDGET_GZIP_BYTES) {
  console.error("frontend: JavaScript over its gzip budget");
  process.exit(1);
}
