// Builds the assets every app serves from shared/static/dist/ (git-ignored):
//   src/app.css (Pico + our theme) -> dist/app.css
//   src/app.js  (htmx)             -> dist/app.js
//   src/passkeys.js (WebAuthn)     -> dist/passkeys.js
//   src/img/*                      -> dist/img/
//   ../editor/index.js, editor.css  -> dist/editor.js, dist/editor.css (the blog's
//                                     staff editor: TipTap; only its page loads it)
// Usage: `npm run build` from the repository root. Exits non-zero on any error.
// Outputs are overwritten in place, not wiped first, so other bundles that
// live in dist/ (the blog editor's) survive a rebuild.

import { copyFile, mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const src = path.join(here, "src");
const dist = path.join(here, "dist");

const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning", // esbuild prints warnings and errors itself
  metafile: true,
};

const builds = [
  {
    ...common,
    entryPoints: [path.join(src, "app.css")],
    outfile: path.join(dist, "app.css"),
    // Pico's icons are data: URIs; anything else referenced by url() is copied.
    loader: { ".svg": "file", ".png": "file", ".woff2": "file" },
    target: ["chrome109", "firefox115", "safari15.6"],
  },
  {
    ...common,
    entryPoints: [path.join(src, "app.js")],
    outfile: path.join(dist, "app.js"),
    format: "iife",
    target: ["es2020"],
  },
  {
    // Passkeys on federation's sign-in and security pages (only they load it).
    ...common,
    entryPoints: [path.join(src, "passkeys.js")],
    outfile: path.join(dist, "passkeys.js"),
    format: "iife",
    target: ["es2020"],
  },
  {
    ...common,
    entryPoints: [path.join(here, "..", "editor", "index.js")],
    outfile: path.join(dist, "editor.js"),
    format: "iife",
    target: ["es2020"],
  },
  {
    ...common,
    entryPoints: [path.join(here, "..", "editor", "editor.css")],
    outfile: path.join(dist, "editor.css"),
    target: ["chrome109", "firefox115", "safari15.6"],
  },
];

async function copyImages() {
  const from = path.join(src, "img");
  const to = path.join(dist, "img");
  await mkdir(to, { recursive: true });
  const names = (await readdir(from)).filter((name) => !name.startsWith("."));
  await Promise.all(names.map((name) => copyFile(path.join(from, name), path.join(to, name))));
  return names.map((name) => path.join(to, name));
}

function formatSize(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

async function main() {
  const started = performance.now();
  const results = await Promise.all(builds.map((options) => esbuild.build(options)));
  const outputs = results.flatMap((result) => Object.keys(result.metafile.outputs));
  outputs.push(...(await copyImages()));
  for (const file of outputs.map((output) => path.resolve(output))) {
    const { size } = await stat(file);
    console.log(`  ${path.relative(repoRoot, file).padEnd(36)} ${formatSize(size)}`);
  }
  console.log(`assets built in ${Math.round(performance.now() - started)} ms`);
}

try {
  await main();
} catch (error) {
  // esbuild has already printed its own errors above; say so in one line.
  const reason = error.errors?.length
    ? `${error.errors.length} error(s) from esbuild, see above`
    : error.message;
  console.error(`asset build failed: ${reason}`);
  process.exit(1);
}
