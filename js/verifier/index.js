// Entry point of build/verifier/verifier.js: mount every [data-credfolio-verifier] on the page, and
// expose the verifier to scripts as window.credfolioVerifier.

import {extractCredential} from './baked.js';
import {makeFetchBytes, makeFetchJson, urlMapping} from './fetch.js';
import {mount} from './ui.js';
import {CHECK_IDS, STATES, verifyCredential} from './verify.js';

// For scripts (and tests) that verify without the panel: fetchJson = makeFetchJson(makeFetchBytes({mapUrl, origin})).
window.credfolioVerifier = Object.freeze({verifyCredential, extractCredential, makeFetchBytes, makeFetchJson, urlMapping, CHECK_IDS, STATES});

function start() {
  for (const root of document.querySelectorAll('[data-credfolio-verifier]')) mount(root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
