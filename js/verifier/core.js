// The verifier without any page: what Node scripts and the page's UI both use.
export {verifyCredential, CHECK_IDS, STATES, NUMBER_PROBLEMS} from './verify.js';
export {canonicalize, CanonicalizationError, CONTEXT_URLS} from './canonicalize.js';
export {parseStrictJson} from './json.js';
export {shapeProblems, parseDatetime} from './shape.js';
export {extractCredential} from './baked.js';
