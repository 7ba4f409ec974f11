// Entry point of build/verifier/verifier.js: mount every [data-credfolio-verifier] on the page, and
// expose the verifier to scripts as window.credfolioVerifier.

import {extractCredential} from './baked.js';
import {mount} from './ui.js';
import {CHECK_IDS, STATES, verifyCredential} from './verify.js';

window.credfolioVerifier = Object.freeze({verifyCredential, extractCredential, CHECK_IDS, STATES});

function start() {
  for (const root of document.querySelectorAll('[data-credfolio-verifier]')) mount(root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
