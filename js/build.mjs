// Bundle credfolio's in-browser verifier: js/verifier/*.js + pinned npm packages -> build/verifier/.
//
//   node js/build.mjs            build/verifier/verifier.js, verifier.css, BUILD.json
//   node js/build.mjs --node     also build/verifier-node/core.mjs (verifyCredential for Node, for debugging)
//
// The JSON-LD contexts are read from credfolio's own src/credfolio/contexts/ at build time, so the
// Python and the browser verifier canonicalize with byte-identical context files. Nothing here is
// committed: `make verifier` rebuilds it. BUILD.json lists the sha256 of every input, so
// credfolio.browser.ensure_verifier_bundle can tell a stale bundle from a fresh one.

import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as esbuild from 'esbuild';

const JS_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(JS_DIR, '..');
const SOURCE_DIR = join(JS_DIR, 'verifier');
const CONTEXTS_DIR = join(ROOT, 'src', 'credfolio', 'contexts');
const OUT_DIR = join(ROOT, 'build', 'verifier');
const CONTEXT_FILES = JSON.parse(readFileSync(join(SOURCE_DIR, 'context-files.json'), 'utf8'));

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** `import CONTEXT_TEXTS from 'credfolio:contexts'`: {url: the bundled file's exact text}. */
const contextsPlugin = {
  name: 'credfolio-contexts',
  setup(build) {
    build.onResolve({filter: /^credfolio:contexts$/}, () => ({path: 'contexts', namespace: 'credfolio'}));
    build.onLoad({filter: /.*/, namespace: 'credfolio'}, () => {
      const texts = {};
      for (const [url, file] of Object.entries(CONTEXT_FILES)) texts[url] = readFileSync(join(CONTEXTS_DIR, file), 'utf8');
      return {contents: `export default ${JSON.stringify(texts)};`, loader: 'js', watchFiles: Object.values(CONTEXT_FILES).map((f) => join(CONTEXTS_DIR, f))};
    });
  },
};

function inputs() {
  const files = readdirSync(SOURCE_DIR).sort().map((name) => join(SOURCE_DIR, name));
  files.push(join(JS_DIR, 'build.mjs'), join(JS_DIR, 'package-lock.json'));
  for (const file of Object.values(CONTEXT_FILES)) files.push(join(CONTEXTS_DIR, file));
  return Object.fromEntries(files.map((path) => [relative(ROOT, path), sha256(path)]));
}

/** Every bundled package's own licence text: BSD-3-Clause and the others ask for it to travel with the code. */
function licences(packages, lock) {
  const parts = ['Third-party software in verifier.js (credfolio). See js/LICENSES.md in the credfolio repository.\n'];
  for (const name of packages) {
    const folder = join(JS_DIR, 'node_modules', name);
    const file = readdirSync(folder).find((entry) => /^licen[cs]e/i.test(entry));
    const text = file ? readFileSync(join(folder, file), 'utf8').trim() : `(no licence file; package.json says ${lock.packages[`node_modules/${name}`]?.license})`;
    parts.push(`${'='.repeat(78)}\n${name}@${lock.packages[`node_modules/${name}`]?.version} — ${lock.packages[`node_modules/${name}`]?.license}\n${'='.repeat(78)}\n${text}\n`);
  }
  return parts.join('\n');
}

async function main() {
  mkdirSync(OUT_DIR, {recursive: true});
  const common = {
    bundle: true,
    minify: true,
    legalComments: 'none', // licences are listed in js/LICENSES.md and in the banner
    target: ['es2020'],
    plugins: [contextsPlugin],
    logLevel: 'warning',
  };
  const lock = JSON.parse(readFileSync(join(JS_DIR, 'package-lock.json'), 'utf8'));
  const bundled = ['jsonld', 'rdf-canonize', 'canonicalize', 'lru-cache', 'yallist', 'setimmediate', '@noble/ed25519'];
  const versions = bundled.map((name) => `${name}@${lock.packages[`node_modules/${name}`]?.version}`);
  const banner = `/*! credfolio verifier — bundles ${versions.join(', ')}; their licences: THIRD-PARTY-LICENSES.txt beside this file */`;
  const result = await esbuild.build({
    ...common,
    entryPoints: [join(SOURCE_DIR, 'index.js')],
    outfile: join(OUT_DIR, 'verifier.js'),
    format: 'iife',
    platform: 'browser',
    banner: {js: banner},
    metafile: true,
  });
  await esbuild.build({
    ...common,
    entryPoints: [join(SOURCE_DIR, 'verifier.css')],
    outfile: join(OUT_DIR, 'verifier.css'),
    plugins: [],
  });
  if (process.argv.includes('--node')) {
    await esbuild.build({
      ...common,
      minify: false,
      entryPoints: [join(SOURCE_DIR, 'core.js')],
      outfile: join(ROOT, 'build', 'verifier-node', 'core.mjs'),
      format: 'esm',
      platform: 'browser', // the same module graph as the page (WebCrypto, DecompressionStream)
    });
  }
  const bundledInputs = Object.keys(result.metafile.inputs).filter((p) => p.includes('node_modules/'));
  const packages = [...new Set(bundledInputs.map((p) => p.replace(/^.*node_modules\//, '').split('/').slice(0, p.includes('node_modules/@') ? 2 : 1).join('/')))].sort();
  const manifest = {
    generated_by: 'js/build.mjs',
    files: ['verifier.js', 'verifier.css', 'THIRD-PARTY-LICENSES.txt'],
    packages: Object.fromEntries(packages.map((name) => [name, lock.packages[`node_modules/${name}`]?.version ?? null])),
    contexts: Object.fromEntries(Object.entries(CONTEXT_FILES).map(([url, file]) => [url, sha256(join(CONTEXTS_DIR, file))])),
    inputs: inputs(),
  };
  writeFileSync(join(OUT_DIR, 'THIRD-PARTY-LICENSES.txt'), licences(packages, lock));
  writeFileSync(join(OUT_DIR, 'BUILD.json'), JSON.stringify(manifest, null, 2) + '\n');
  const size = readFileSync(join(OUT_DIR, 'verifier.js')).length;
  console.log(`build/verifier/verifier.js: ${size} bytes (${packages.join(', ')})`);
}

main().catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});
