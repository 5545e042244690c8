#!/usr/bin/env node
// Verify openbadge_ctq eddsa-rdfc-2022 credentials with the Digital Bazaar reference implementation, offline.
//
//   node verify.mjs [--now ISO-DATE] [--did-document FILE]... FILE...
//
// Each FILE holds one JSON credential, a JSON array of credentials, or JSON lines (one credential a line).
// For each credential prints one JSON line {"file", "verified", "error"} (file is "path" or "path:N" for the
// N-th credential of a file, from 1) and exits 1 if any failed, 2 on a usage or input error.
//
// The document loader serves only the JSON-LD contexts packaged in openbadge_ctq/contexts (MANIFEST.json),
// did:key documents and verification methods resolved locally, and the DID documents given with
// --did-document (e.g. a did:web issuer's, built by the test) and their verification methods; it throws for
// anything else, so nothing is fetched from the network.
import {readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriverFactory} from '@digitalbazaar/did-method-key';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONTEXTS_DIR = process.env.OPENBADGE_CTQ_CONTEXTS ?? resolve(HERE, '../../../openbadge_ctq/contexts');

function loadContexts(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'));
  if(!Array.isArray(manifest)) {
    throw new Error(`${join(dir, 'MANIFEST.json')}: expected a JSON list of {url, file}`);
  }
  const contexts = new Map();
  for(const {url, file} of manifest) {
    if(typeof url !== 'string' || typeof file !== 'string') {
      throw new Error(`${join(dir, 'MANIFEST.json')}: entry without a url and file: ${JSON.stringify({url, file})}`);
    }
    contexts.set(url, JSON.parse(readFileSync(join(dir, file), 'utf8')));
  }
  return contexts;
}

const CONTEXTS = loadContexts(CONTEXTS_DIR);

// did:key resolution as the reference does it: did-method-key with the Ed25519 Multikey deserializer.
const didKeyDriver = didKeyDriverFactory();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

// DID documents given on the command line (id → document).
const DID_DOCUMENTS = new Map();

function addDidDocument(path) {
  const document = JSON.parse(readFileSync(path, 'utf8'));
  if(typeof document?.id !== 'string' || !document.id.startsWith('did:') || document.id.includes('#')) {
    throw new Error(`${path}: not a DID document (its "id" must be a DID)`);
  }
  DID_DOCUMENTS.set(document.id, document);
}

// A DID URL with a fragment resolves to that verification method, with the DID document's @context (as
// did-method-key does for did:key).
function fromDidDocument(url) {
  const [did, fragment] = url.split('#');
  const document = DID_DOCUMENTS.get(did);
  if(document === undefined) {
    return undefined;
  }
  if(fragment === undefined) {
    return structuredClone(document);
  }
  const method = (document.verificationMethod ?? []).find(
    vm => vm.id === url || (vm.id === `#${fragment}`));
  if(method === undefined) {
    throw new Error(`the DID document of ${did} has no verification method ${JSON.stringify(url)}`);
  }
  return structuredClone({'@context': document['@context'], ...method, id: url});
}

async function documentLoader(url) {
  const context = CONTEXTS.get(url);
  if(context !== undefined) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(context)};
  }
  const given = typeof url === 'string' ? fromDidDocument(url) : undefined;
  if(given !== undefined) {
    return {contextUrl: null, documentUrl: url, document: given};
  }
  if(typeof url === 'string' && url.startsWith('did:key:z6Mk')) {
    const document = await didKeyDriver.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`offline document loader: refusing to load ${JSON.stringify(url)} ` +
    '(only packaged contexts, did:key and the given DID documents are served)');
}

function describe(error) {
  if(error === undefined || error === null) {
    return null;
  }
  if(Array.isArray(error)) {
    return error.map(describe);
  }
  const out = {name: error.name, message: error.message};
  if(error.errors) {
    out.errors = describe(error.errors);
  }
  if(error.cause) {
    out.cause = describe(error.cause);
  }
  if(error.details && typeof error.details === 'object') {
    try {
      out.details = JSON.parse(JSON.stringify(error.details, (key, value) =>
        key && value instanceof Error ? describe(value) : value));
    } catch {
      // details that do not serialise are left out
    }
  }
  return out;
}

function readCredentials(path) {
  const text = readFileSync(path, 'utf8');
  try {
    const value = JSON.parse(text);
    if(Array.isArray(value)) {
      return value.map((credential, i) => ({label: `${path}:${i + 1}`, credential}));
    }
    return [{label: path, credential: value}];
  } catch(e) {
    if(!(e instanceof SyntaxError)) {
      throw e;
    }
  }
  const out = [];
  text.split('\n').forEach((line, i) => {
    if(line.trim()) {
      out.push({label: `${path}:${i + 1}`, credential: JSON.parse(line)});
    }
  });
  return out;
}

async function verifyOne(credential, now) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  const options = {credential, suite, documentLoader};
  if(now) {
    options.now = now;
  }
  return vc.verifyCredential(options);
}

async function main(argv) {
  let now;
  const files = [];
  for(let i = 0; i < argv.length; i++) {
    if(argv[i] === '--now') {
      now = new Date(argv[++i]);
      if(Number.isNaN(now.getTime())) {
        throw new Error(`--now: not a date: ${argv[i]}`);
      }
    } else if(argv[i] === '--did-document') {
      if(argv[i + 1] === undefined) {
        throw new Error('--did-document: a file is needed');
      }
      addDidDocument(argv[++i]);
    } else {
      files.push(argv[i]);
    }
  }
  if(!files.length) {
    process.stderr.write('usage: node verify.mjs [--now ISO-DATE] [--did-document FILE]... FILE...\n');
    return 2;
  }
  let failed = 0;
  for(const file of files) {
    for(const {label, credential} of readCredentials(file)) {
      let line;
      try {
        const result = await verifyOne(credential, now);
        line = {file: label, verified: result.verified === true, error: result.verified ? null : describe(
          result.error ?? result.results?.find(r => !r.verified)?.error)};
        if(!result.verified && result.results?.length > 1) {
          line.results = result.results.map(r => ({verified: r.verified, error: describe(r.error)}));
        }
      } catch(e) {
        line = {file: label, verified: false, error: describe(e)};
      }
      if(!line.verified) {
        failed++;
      }
      process.stdout.write(JSON.stringify(line) + '\n');
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(code => {
  process.exitCode = code;
}, e => {
  process.stderr.write(`verify.mjs: ${e.stack ?? e}\n`);
  process.exitCode = 2;
});
