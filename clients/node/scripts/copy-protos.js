#!/usr/bin/env node
// Copies the contract into the package, so that the package carries the
// .proto files its Client loads at run time:
//
//   ../../proto/tradepact/**/*.proto                 -> proto/tradepact/...
//   ../../third_party/googleapis/google/**/*.proto   -> proto/google/...
//   ../../third_party/googleapis/LICENSE             -> proto/google/LICENSE
//
// The googleapis files are google/type/date.proto (imported by the contract)
// and google/rpc/status.proto and error_details.proto (the error details),
// vendored unchanged; their licence (Apache-2.0) goes with them. The
// google/protobuf well-known types come with protobufjs.
//
// npm runs this as the `prepare` script: on `npm install` / `npm ci` in this
// directory, before `npm pack` and `npm publish`, and when the package is
// installed from a git checkout or with `--install-links`. proto/ is
// rebuilt from scratch each time (a file removed from the contract leaves
// no stale copy) and is not committed (.gitignore). Outside a repository
// checkout (no ../../proto) an existing proto/ is kept as it is.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(PACKAGE_DIR, '..', '..');
const OUT_DIR = path.join(PACKAGE_DIR, 'proto');
// [import root, the directory below it to copy (same path below proto/)]
const TREES = [
  [path.join(REPO_ROOT, 'proto'), 'tradepact'],
  [path.join(REPO_ROOT, 'third_party', 'googleapis'), 'google'],
];
const GOOGLEAPIS_LICENSE = path.join(REPO_ROOT, 'third_party', 'googleapis', 'LICENSE');

// Every .proto file below `dir`, as paths relative to `root`, sorted.
function protoFiles(root, dir) {
  const found = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...protoFiles(root, relative));
    else if (entry.isFile() && entry.name.endsWith('.proto')) found.push(relative);
  }
  return found.sort();
}

function main() {
  const missing = TREES.map(([root, dir]) => path.join(root, dir)).filter((d) => !fs.existsSync(d));
  if (missing.length > 0) {
    if (fs.existsSync(path.join(OUT_DIR, 'tradepact'))) {
      console.log(`copy-protos: ${missing.join(', ')} not found; keeping the copies in ${OUT_DIR}`);
      return 0;
    }
    console.error(`copy-protos: ${missing.join(', ')} not found, and no copies in ${OUT_DIR}`);
    return 1;
  }
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  let count = 0;
  for (const [root, dir] of TREES) {
    const files = protoFiles(root, dir);
    if (files.length === 0) {
      console.error(`copy-protos: no .proto files under ${path.join(root, dir)}`);
      return 1;
    }
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(OUT_DIR, file)), { recursive: true });
      fs.copyFileSync(path.join(root, file), path.join(OUT_DIR, file));
      count += 1;
    }
  }
  fs.copyFileSync(GOOGLEAPIS_LICENSE, path.join(OUT_DIR, 'google', 'LICENSE'));
  console.log(`copy-protos: ${count} .proto files copied into ${path.relative(process.cwd(), OUT_DIR) || '.'}`);
  return 0;
}

process.exitCode = main();
