// Templates and stylesheet agree (issue 17): every class the pages use is styled in app.css,
// and every class app.css styles is used somewhere. "Used" means written in a template
// (modules/web/templates), in the web module's C++ (markup it renders itself: bars, calendar
// cells) or by the bundle (frontend/src/*.js). Classes built at run time are expanded here
// from what produces them (flash kinds from the C++ sources, the five heat steps), so no
// `{{…}}` or `${…}` class slips through unchecked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The source tree: CODESTATS_SOURCE_DIR under ctest (the test runs from a copy in the build
// tree), else two levels up from this file (npm test in frontend/).
const root = process.env.CODESTATS_SOURCE_DIR ?? fileURLToPath(new URL("../..", import.meta.url));
const templatesDir = join(root, "modules/web/templates");
const webDir = join(root, "modules/web");
const srcDir = join(root, "frontend/src");

const read = (dir, file) => readFileSync(join(dir, file), "utf8");
const files = (dir, ext) => readdirSync(dir).filter((f) => f.endsWith(ext));

// Hooks: classes that select elements for tests or scripts and deliberately carry no style.
const HOOKS = new Map([
  ["machine", "row/item of a machine: tests find machines by it (data-machine-id follows)"],
  ["inactive", "marks an inactive machine's item for tests"],
  ["machine-token", "the API key input: tests read the key from it (styled as .key-field input)"],
  ["alias", "one alias name on /aliases: tests match it"],
]);

// The pages GraphiQL renders into are styled by graphiql's own stylesheet, not by app.css.
const STANDALONE_TEMPLATES = new Set(["graphiql.mustache"]);

function flashKinds() {
  const kinds = new Set();
  for (const file of files(webDir, ".cpp")) {
    const text = read(webDir, file);
    for (const m of text.matchAll(/(?:redirectWithFlash|setFlash)\([^;]*?,\s*"(\w+)",/g)) kinds.add(m[1]);
    for (const m of text.matchAll(/flashes\.push_back\(\{\s*"(\w+)"/g)) kinds.add(m[1]);
  }
  return kinds;
}

const HEAT = ["heat-0", "heat-1", "heat-2", "heat-3", "heat-4"];

// Expansions of the class tokens that are built at run time.
function expand(token, where) {
  if (token === "flash-{{kind}}") return [...flashKinds()].map((k) => `flash-${k}`);
  if (token === "heat-${heatStep(xp, max)}" || token === "heat-") return HEAT;
  assert.fail(`${where}: class "${token}" is built at run time; teach design_system.test.mjs what it expands to`);
}

function addTokens(set, value, where) {
  // A token with a run-time part is one unit: `flash-{{kind}}`, `heat-${…}`.
  for (const token of value.match(/(?:[^\s{$]|\{\{[^}]*\}\}|\$\{[^}]*\})+/g) ?? []) {
    if (token.includes("{{") || token.includes("${") || token.endsWith("-")) {
      for (const t of expand(token, where)) set.set(t, where);
    } else set.set(token, where);
  }
}

function templateClasses() {
  const used = new Map();
  for (const file of files(templatesDir, ".mustache")) {
    if (STANDALONE_TEMPLATES.has(file)) continue;
    for (const m of read(templatesDir, file).matchAll(/\sclass="([^"]*)"/g)) addTokens(used, m[1], file);
  }
  return used;
}

function cppClasses() {
  const used = new Map();
  for (const file of files(webDir, ".cpp")) {
    // Markup in C++ string literals: class=\"…\" up to the closing quote or the literal's end.
    for (const m of read(webDir, file).matchAll(/class=\\"([^\\"]*)/g)) addTokens(used, m[1], file);
  }
  return used;
}

function scriptClasses() {
  const used = new Map();
  for (const file of files(srcDir, ".js")) {
    const text = read(srcDir, file);
    const patterns = [
      /setAttribute\("class",\s*(?:"([^"]*)"|(cls))\)/g,
      /\{\s*class:\s*"([^"]*)"/g,
      /classList\.(?:add|remove|toggle)\("([^"]*)"/g,
      /className\s*=\s*`([^`]*)`/g,
      /shape\("([^"]*)"/g,
      /\["old", "recent"\]/g,
    ];
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        if (m[0].startsWith('["old"')) addTokens(used, "old recent", file);
        else if (m[1] !== undefined) addTokens(used, m[1], file);
      }
    }
  }
  return used;
}

// Class names in selectors of app.css (comments and strings removed first).
function styledClasses() {
  const css = read(srcDir, "app.css").replace(/\/\*[\s\S]*?\*\//g, "").replace(/"[^"]*"/g, '""');
  const styled = new Set();
  for (const block of css.matchAll(/([^{}]+)\{/g)) {
    const selector = block[1];
    if (/^\s*(@|from\b|to\b|\d+%)/.test(selector)) continue;
    for (const m of selector.matchAll(/\.(-?[A-Za-z_][\w-]*)/g)) styled.add(m[1]);
  }
  return styled;
}

const styled = styledClasses();
const markup = templateClasses();
const byCode = new Map([...cppClasses(), ...scriptClasses()]);
const rendered = new Map([...markup, ...byCode]);

test("every class a template uses is styled in app.css (or is a declared hook)", () => {
  const missing = [...markup].filter(([cls]) => !styled.has(cls) && !HOOKS.has(cls)).map(([c, f]) => `${c} (${f})`);
  assert.deepEqual(missing, []);
});

test("every class the C++ and the bundle render is styled in app.css (or is a declared hook)", () => {
  const missing = [...byCode].filter(([cls]) => !styled.has(cls) && !HOOKS.has(cls)).map(([c, f]) => `${c} (${f})`);
  assert.deepEqual(missing, []);
});

test("every class app.css styles is used by a template, the C++ or the bundle", () => {
  const unused = [...styled].filter((cls) => !rendered.has(cls));
  assert.deepEqual(unused, []);
});

test("hooks are used and not styled", () => {
  for (const hook of HOOKS.keys()) {
    assert.ok(rendered.has(hook), `hook ${hook} is not used any more`);
    assert.ok(!styled.has(hook), `hook ${hook} is styled: drop it from HOOKS`);
  }
});

test("the flash kinds the server sends are found (success, error, info)", () => {
  const kinds = flashKinds();
  for (const k of ["success", "error", "info"]) assert.ok(kinds.has(k), `flash kind ${k}`);
});
