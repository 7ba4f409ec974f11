// The verification panel: on the verify/ page (paste, upload, drop, ?url=, camera QR) and on badge
// pages (verifies the page's own badge on load). Everything is written with textContent — nothing
// from a credential is ever parsed as HTML.
//
// Machine-readable verdict: #verification[data-state] is "idle", then "verifying", then one of
// verified / expired / revoked / suspended / failed / unknown-status; every check is an element
// [data-check="<id>"][data-ok="true|false|unknown"] with its message as text.

import {extractCredential, BakedBadgeError} from './baked.js';
import {makeFetchBytes, makeFetchJson, urlMapping} from './fetch.js';
import {CHECK_IDS, verifyCredential} from './verify.js';

export const CHECK_LABELS = {
  structure: 'Readable credential',
  schema: 'Open Badges 3.0 format',
  contexts: 'Every field is signed',
  proof: 'Signature',
  issuer_key: "Issuer's key",
  dates: 'Validity dates',
  status: 'Revocation status',
};

const VERDICTS = {
  verified: ['✓ Verified', 'This badge is genuine: signed by its issuer, unchanged, current and not revoked.'],
  expired: ['Expired', 'This badge is genuine, but its validity has ended.'],
  revoked: ['✗ Revoked', 'The issuer has revoked this badge. It is no longer valid.'],
  suspended: ['Suspended', 'The issuer has suspended this badge for now. It is not valid while suspended.'],
  failed: ['✗ Not verified', ''],
  'unknown-status': ['? Status unknown', 'The signature checks out, but whether the badge was revoked could not be checked. Do not treat it as valid yet.'],
};
const MARKS = {true: ['✓', 'passed'], false: ['✗', 'failed'], unknown: ['?', 'not checked']};

function readConfig(root) {
  const block = root.ownerDocument.getElementById('credfolio-verifier-config');
  if (!block) return {};
  try {
    return JSON.parse(block.textContent);
  } catch {
    return {};
  }
}

function element(document, tag, attributes = {}, text = '') {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/** Wire up one verifier root ([data-credfolio-verifier="page"|"panel"]). */
export function mount(root, {location = window.location} = {}) {
  const document = root.ownerDocument;
  const config = readConfig(root);
  const mapping = urlMapping(config, location);
  const region = root.querySelector('#verification');
  const checksList = region.querySelector('[data-role="checks"]');
  const verdict = region.querySelector('[data-role="verdict"]');
  const explanation = region.querySelector('[data-role="explanation"]');
  const summary = region.querySelector('[data-role="summary"]');
  const localNote = root.querySelector('[data-role="local-note"]');
  let mappedDuringRun = false;

  const fetchOptions = {
    mapUrl: mapping.mapUrl,
    origin: location.origin,
    onMapped: () => {
      mappedDuringRun = true;
    },
  };
  const fetchJson = makeFetchJson(makeFetchBytes(fetchOptions));
  const fetchCredential = makeFetchBytes({...fetchOptions, allowSameOrigin: true, acceptImages: true});

  function showLocalNote() {
    if (!localNote) return;
    localNote.hidden = !mappedDuringRun;
    if (mappedDuringRun) {
      localNote.textContent = `Local preview: addresses under ${mapping.siteUrl} were read from ${mapping.localRoot} on this computer, not from the published site.`;
    }
    region.dataset.localPreview = String(mappedDuringRun);
  }

  function renderChecks(checks) {
    checksList.replaceChildren();
    for (const id of CHECK_IDS) {
      const found = checks.find((c) => c.id === id);
      const ok = found ? (found.ok === null ? 'unknown' : String(found.ok)) : 'unknown';
      const item = element(document, 'li', {'data-check': id, 'data-ok': ok});
      const [mark, word] = MARKS[ok];
      item.append(
        element(document, 'span', {class: 'credfolio-check-mark', 'aria-hidden': 'true'}, mark),
        element(document, 'strong', {}, CHECK_LABELS[id]),
        element(document, 'span', {class: 'credfolio-check-word'}, ` — ${found ? word : 'waiting'}: `),
        element(document, 'span', {class: 'credfolio-check-message'}, found ? found.message : 'checking…'),
      );
      checksList.append(item);
    }
  }

  function start() {
    mappedDuringRun = false;
    region.dataset.state = 'verifying';
    region.setAttribute('aria-busy', 'true');
    region.hidden = false;
    verdict.textContent = 'Verifying…';
    explanation.textContent = 'Checking the signature, the issuer’s key, the dates and the revocation status in this browser.';
    summary.textContent = '';
    renderChecks([]);
    return performance.now();
  }

  function finish(result, started, credentialText) {
    const [title, text] = VERDICTS[result.state];
    const failing = result.checks.filter((c) => c.ok === false).map((c) => CHECK_LABELS[c.id]);
    verdict.textContent = title;
    explanation.textContent = result.state === 'failed'
      ? `This badge could not be verified. Failed: ${failing.join(', ') || 'the input could not be read'}. Details below.`
      : text;
    summary.textContent = describe(credentialText, result);
    renderChecks(result.checks);
    showLocalNote();
    region.dataset.durationMs = String(Math.round(performance.now() - started));
    region.dataset.state = result.state;
    region.setAttribute('aria-busy', 'false');
    root.credfolioResult = result;
  }

  function fail(message, started) {
    finish({verified: false, state: 'failed', checks: [{id: 'structure', ok: false, message}, ...CHECK_IDS.slice(1).map((id) => ({id, ok: null, message: 'not checked: there is no credential to check'}))]}, started, null);
  }

  async function verifyInput(input, started = start()) {
    try {
      const result = await verifyCredential(input, {fetchJson});
      finish(result, started, input);
    } catch (error) {
      fail(`the verifier could not finish: ${error.message}`, started);
    }
  }

  async function verifyBytes(bytes, started = start()) {
    let extracted;
    try {
      extracted = extractCredential(bytes);
    } catch (error) {
      if (error instanceof BakedBadgeError) return fail(error.message, started);
      throw error;
    }
    return verifyInput(extracted.credential, started);
  }

  async function verifyUrl(address) {
    const started = start();
    let url;
    try {
      url = new URL(address, location.href).href;
    } catch {
      return fail(`${address} is not a web address`, started);
    }
    let bytes;
    try {
      bytes = await fetchCredential(url);
    } catch (error) {
      return fail(error.message, started);
    }
    return verifyBytes(bytes, started);
  }

  root.credfolioVerify = {verifyInput, verifyBytes, verifyUrl};
  wireInputs(root, {verifyInput, verifyBytes, verifyUrl, location});
  if (root.dataset.credentialUrl) verifyUrl(root.dataset.credentialUrl);
}

function describe(input, result) {
  if (!result.checks.length || result.checks[0].ok !== true) return '';
  let credential;
  try {
    credential = typeof input === 'string' ? JSON.parse(input) : JSON.parse(new TextDecoder().decode(input));
  } catch {
    return '';
  }
  const achievement = credential?.credentialSubject?.achievement?.name;
  const issuer = typeof credential?.issuer === 'object' ? credential.issuer?.name : null;
  const recipient = credential?.credentialSubject?.name;
  if (typeof achievement !== 'string') return '';
  const claim = result.state === 'failed' ? 'It claims to be' : 'Badge:';
  const parts = [`${claim} “${achievement}”`];
  if (typeof recipient === 'string') parts.push(`awarded to ${recipient}`);
  if (typeof issuer === 'string') parts.push(`by ${issuer}`);
  return `${parts.join(' ')}.`;
}

function wireInputs(root, {verifyInput, verifyBytes, verifyUrl, location}) {
  const form = root.querySelector('[data-role="form"]');
  if (!form) return;
  const paste = form.querySelector('[data-role="paste"]');
  const fileInput = root.querySelector('[data-role="file"]');
  const dropZone = root.querySelector('[data-role="drop"]');
  const problem = root.querySelector('[data-role="input-problem"]');

  const say = (text) => {
    problem.textContent = text;
    problem.hidden = !text;
  };

  const reveal = () => root.querySelector('#verification').scrollIntoView({block: 'nearest'});

  const useText = (text) => {
    const value = text.trim();
    if (!value) return say('Paste a badge’s JSON or its web address first.');
    say('');
    if (value.startsWith('{') || value.startsWith('[')) return verifyInput(value);
    const url = new URL(value, location.href);
    const params = new URLSearchParams(location.search);
    params.set('url', value);
    history.replaceState(null, '', `${location.pathname}?${params}`);
    return verifyUrl(url.href);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const running = useText(paste.value);
    reveal();
    return running;
  });

  const useFile = async (file) => {
    if (!file) return;
    say('');
    if (file.size > 5_000_000) return say(`${file.name} is larger than 5 MB; a badge is much smaller.`);
    const running = verifyBytes(new Uint8Array(await file.arrayBuffer()));
    reveal();
    await running;
  };
  fileInput?.addEventListener('change', () => useFile(fileInput.files[0]));
  if (dropZone) {
    for (const type of ['dragenter', 'dragover']) {
      dropZone.addEventListener(type, (event) => {
        event.preventDefault();
        dropZone.classList.add('credfolio-drop-active');
      });
    }
    for (const type of ['dragleave', 'drop']) dropZone.addEventListener(type, () => dropZone.classList.remove('credfolio-drop-active'));
    dropZone.addEventListener('drop', (event) => {
      event.preventDefault();
      const file = event.dataTransfer?.files?.[0];
      if (file) useFile(file);
      else if (event.dataTransfer?.getData('text/plain')) {
        paste.value = event.dataTransfer.getData('text/plain');
        useText(paste.value);
      }
    });
  }
  wireCamera(root, (text) => {
    paste.value = text;
    useText(text);
  });

  const requested = new URLSearchParams(location.search).get('url');
  if (requested) {
    paste.value = requested;
    useText(requested);
  }
}

function wireCamera(root, onCode) {
  const button = root.querySelector('[data-role="scan"]');
  const stop = root.querySelector('[data-role="scan-stop"]');
  const video = root.querySelector('[data-role="camera"]');
  if (!button || !video || typeof window.BarcodeDetector === 'undefined' || !navigator.mediaDevices?.getUserMedia) return;
  button.hidden = false; // only where the browser can read QR codes; uploading a file always works
  let stream = null;
  let timer = null;
  const close = () => {
    clearInterval(timer);
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    button.hidden = false;
  };
  stop.addEventListener('click', close);
  button.addEventListener('click', async () => {
    let detector;
    try {
      detector = new window.BarcodeDetector({formats: ['qr_code']});
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}});
    } catch (error) {
      root.querySelector('[data-role="input-problem"]').textContent = `The camera could not be used (${error.message}). Upload a photo or the badge file instead.`;
      root.querySelector('[data-role="input-problem"]').hidden = false;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    stop.hidden = false;
    button.hidden = true;
    await video.play();
    timer = setInterval(async () => {
      const codes = await detector.detect(video).catch(() => []);
      const text = codes[0]?.rawValue;
      if (text) {
        close();
        onCode(text);
      }
    }, 250);
  });
}
