// The Open Badges 3.0 AchievementCredential shape check: a line-by-line port of
// credfolio.credential.shape_problems (and parse_datetime), so the browser's `schema` check fails
// exactly when the Python verifier's does. Keep the two in step: tests/test_browser_verifier.py
// compares both verdicts on every case.

export const CREDENTIALS_V2 = 'https://www.w3.org/ns/credentials/v2';
export const OB_V3P0 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';

const OB_CONTEXT_PATTERN = /^https:\/\/purl\.imsglobal\.org\/spec\/ob\/v3p0\/context(-3\.\d\.\d)*\.json$/;
const EXT_TERM = /^ext:[A-Za-z0-9._|-]+$/;
const DATETIME_Z = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;
// Python's str.isspace(), which the URI checks use (JavaScript's \s differs on U+001C–U+001F, U+0085, U+FEFF).
const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

const words = (text) => new Set(text.split(/\s+/));
export const ACHIEVEMENT_TYPES = words(
  'Achievement ApprenticeshipCertificate Assessment Assignment AssociateDegree Award Badge BachelorDegree Certificate ' +
  'CertificateOfCompletion Certification CommunityService Competency Course CoCurricular Degree Diploma DoctoralDegree ' +
  'Fieldwork GeneralEducationDevelopment JourneymanCertificate LearningProgram License Membership ProfessionalDoctorate ' +
  'QualityAssuranceCredential MasterCertificate MasterDegree MicroCredential ResearchDoctorate SecondarySchoolDiploma');
export const IDENTIFIER_TYPES = words(
  'name sourcedId systemId productId userName accountId emailAddress nationalIdentityNumber isbn issn lisSourcedId ' +
  'oneRosterSourcedId sisSourcedId ltiContextId ltiDeploymentId ltiToolId ltiPlatformId ltiUserId identifier');
export const RESULT_TYPES = words(
  'GradePointAverage LetterGrade Percent PerformanceLevel PredictedScore RawScore Result RubricCriterion ' +
  'RubricCriterionLevel RubricScore ScaledScore Status');
export const RESULT_STATUSES = words('Completed Enrolled Failed InProgress OnHold Provisional Withdrew');

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const has = (node, key) => Object.prototype.hasOwnProperty.call(node, key);
const repr = (value) => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value));

function daysFromCivil(year, month, day) {
  // Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * A DateTimeZ string (zone required, fractional seconds allowed) as milliseconds since the epoch,
 * or null when it is not one — the same strings Python's parse_datetime accepts.
 */
export function parseDatetime(text) {
  if (typeof text !== 'string') return null;
  const m = DATETIME_Z.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (m[1].length !== 4 || year < 1) return null; // datetime.fromisoformat: years 0001–9999
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > monthDays[month - 1]) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    offsetMinutes = Number(m[10]) * 60 + Number(m[11]);
    if (offsetMinutes >= 24 * 60) return null;
    if (m[9] === '-') offsetMinutes = -offsetMinutes;
  }
  const fraction = m[7] ? Number(`0${m[7].slice(0, 7)}`) : 0; // microseconds, like Python
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  return seconds * 1000 + Math.floor(fraction * 1e6) / 1000;
}

/** The scheme of a URL as Python's urlsplit finds it ('' when there is none). */
export function urlScheme(value) {
  const text = value.replace(/^[\x00-\x20]+/, '');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  return m ? m[1].toLowerCase() : '';
}

function urlNetloc(value) {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(value.replace(/^[\x00-\x20]+/, ''));
  return m ? m[1] : '';
}

/**
 * Every way `credential` departs from the OB 3.0 AchievementCredential shape, as plain sentences
 * (empty when the shape is valid). Mirrors credfolio.credential.shape_problems.
 */
export function shapeProblems(credential) {
  const problems = [];
  if (!isObject(credential)) return ['the credential must be a JSON object'];
  checkContext(credential['@context'], problems);
  checkUriField(credential, 'id', 'id', problems, true);
  checkTypes(credential, 'type', problems, ['VerifiableCredential'], ['OpenBadgeCredential', 'AchievementCredential']);
  for (const key of ['name', 'description']) checkStringField(credential, key, key, problems);
  checkImage(credential.image, 'image', problems);
  checkIssuer(has(credential, 'issuer') ? credential.issuer : null, problems);
  checkDateField(credential, 'validFrom', 'validFrom', problems, true);
  checkDateField(credential, 'validUntil', 'validUntil', problems);
  checkDateField(credential, 'awardedDate', 'awardedDate', problems);
  checkSubject(has(credential, 'credentialSubject') ? credential.credentialSubject : null, problems);
  checkObjectArray(credential, 'evidence', 'evidence', problems, checkEvidence);
  if (has(credential, 'credentialStatus')) checkStatusEntry(credential.credentialStatus, 'credentialStatus', problems);
  if (has(credential, 'proof')) checkObjectArray(credential, 'proof', 'proof', problems, checkProofShape);
  for (const key of ['credentialSchema', 'termsOfUse', 'endorsement']) {
    checkObjectArray(credential, key, key, problems, (item, path, list) => checkStringField(item, 'type', path, list, true));
  }
  if (has(credential, 'refreshService') && !isObject(credential.refreshService)) {
    problems.push('refreshService: must be an object with id and type');
  }
  return problems;
}

function checkContext(context, problems) {
  if (!Array.isArray(context)) {
    problems.push('@context: must be an array starting with the VC 2.0 and OB 3.0 contexts');
    return;
  }
  if (context.length < 2) problems.push('@context: must list at least the VC 2.0 and OB 3.0 contexts');
  if (!context.length || context[0] !== CREDENTIALS_V2) problems.push(`@context[0]: must be ${CREDENTIALS_V2}`);
  if (context.length >= 2 && !(typeof context[1] === 'string' && OB_CONTEXT_PATTERN.test(context[1]))) {
    problems.push(`@context[1]: must be the Open Badges 3.0 context (${OB_V3P0})`);
  }
  context.slice(2).forEach((item, offset) => {
    if (!(typeof item === 'string' || isObject(item))) problems.push(`@context[${offset + 2}]: must be a URL or an object`);
  });
}

function checkTypes(node, path, problems, required = [], oneOf = []) {
  const types = node.type;
  const label = path !== 'type' ? `${path}.type` : 'type';
  if (!Array.isArray(types) || !types.length || !types.every((t) => typeof t === 'string')) {
    const wanted = [...required, ...oneOf.slice(0, 1)];
    problems.push(`${label}: must be an array of strings containing ${wanted.map(repr).join(', ')}`);
    return;
  }
  for (const name of required) if (!types.includes(name)) problems.push(`${label}: must contain ${repr(name)}`);
  if (oneOf.length && !oneOf.some((name) => types.includes(name))) {
    problems.push(`${label}: must contain ${oneOf.map(repr).join(' or ')}`);
  }
}

function checkStringField(node, key, path, problems, required = false) {
  const label = path !== key ? `${path}.${key}` : key;
  if (!has(node, key)) {
    if (required) problems.push(`${label}: is required`);
    return;
  }
  if (typeof node[key] !== 'string') problems.push(`${label}: must be a string`);
}

function checkUriField(node, key, path, problems, required = false) {
  const label = path !== key ? `${path}.${key}` : key;
  if (!has(node, key)) {
    if (required) problems.push(`${label}: is required`);
    return;
  }
  const value = node[key];
  if (typeof value !== 'string' || !urlScheme(value) || PY_SPACE.test(value)) problems.push(`${label}: must be a URI`);
}

function checkDateField(node, key, path, problems, required = false) {
  const label = path !== key ? `${path}.${key}` : key;
  if (!has(node, key)) {
    if (required) problems.push(`${label}: is required`);
    return;
  }
  if (parseDatetime(node[key]) === null) {
    problems.push(`${label}: must be a date and time with a time zone, like 2025-06-01T00:00:00Z`);
  }
}

function checkEnumExt(node, key, path, allowed, problems, required = false) {
  const label = `${path}.${key}`;
  if (!has(node, key)) {
    if (required) problems.push(`${label}: is required`);
    return;
  }
  const value = node[key];
  if (typeof value !== 'string' || !(allowed.has(value) || EXT_TERM.test(value))) {
    problems.push(`${label}: ${repr(value)} is not a defined value (or an ext: term)`);
  }
}

function checkImage(image, path, problems) {
  if (image === undefined || image === null) return;
  if (!isObject(image)) {
    problems.push(`${path}: must be an Image object {id, type: "Image"}, not a bare URL`);
    return;
  }
  if (typeof image.id !== 'string') problems.push(`${path}.id: is required (the image URL or data: URI)`);
  if (image.type !== 'Image') problems.push(`${path}.type: must be "Image"`);
  const extra = Object.keys(image).filter((k) => !['id', 'type', 'caption'].includes(k)).sort();
  if (extra.length) problems.push(`${path}: unexpected field ${repr(extra[0])} (an Image has only id, type and caption)`);
}

function checkObjectArray(node, key, path, problems, checkItem) {
  if (!has(node, key)) return;
  const items = node[key];
  if (!Array.isArray(items)) {
    problems.push(`${path}: must be an array`);
    return;
  }
  items.forEach((item, index) => {
    if (!isObject(item)) problems.push(`${path}[${index}]: must be an object`);
    else checkItem(item, `${path}[${index}]`, problems);
  });
}

function checkIssuer(issuer, problems) {
  if (issuer === null) {
    problems.push('issuer: is required');
    return;
  }
  if (typeof issuer === 'string') {
    if (!urlScheme(issuer)) problems.push('issuer: must be a URI or a Profile object');
    return;
  }
  if (!isObject(issuer)) {
    problems.push('issuer: must be a Profile object');
    return;
  }
  checkUriField(issuer, 'id', 'issuer', problems, true);
  checkTypes(issuer, 'issuer', problems, ['Profile']);
  for (const key of ['name', 'url', 'email', 'phone', 'description']) checkStringField(issuer, key, 'issuer', problems);
  checkImage(issuer.image, 'issuer.image', problems);
}

function checkSubject(subject, problems) {
  if (subject === null) {
    problems.push('credentialSubject: is required');
    return;
  }
  if (!isObject(subject)) {
    problems.push('credentialSubject: must be one AchievementSubject object');
    return;
  }
  checkTypes(subject, 'credentialSubject', problems, ['AchievementSubject']);
  if (has(subject, 'id')) checkUriField(subject, 'id', 'credentialSubject', problems);
  if (has(subject, 'identifier')) {
    checkObjectArray(subject, 'identifier', 'credentialSubject.identifier', problems, checkIdentityObject);
  }
  if (!has(subject, 'id') && !(Array.isArray(subject.identifier) && subject.identifier.length)) {
    problems.push('credentialSubject: needs an id or at least one identifier naming the recipient');
  }
  checkStringField(subject, 'name', 'credentialSubject', problems);
  checkImage(subject.image, 'credentialSubject.image', problems);
  const achievement = has(subject, 'achievement') ? subject.achievement : null;
  if (achievement === null) problems.push('credentialSubject.achievement: is required');
  else if (!isObject(achievement)) problems.push('credentialSubject.achievement: must be an Achievement object');
  else checkAchievement(achievement, 'credentialSubject.achievement', problems);
  checkObjectArray(subject, 'result', 'credentialSubject.result', problems, checkResult);
}

function checkIdentityObject(item, path, problems) {
  if (item.type !== 'IdentityObject') problems.push(`${path}.type: must be "IdentityObject"`);
  if (typeof item.hashed !== 'boolean') problems.push(`${path}.hashed: must be true or false`);
  checkStringField(item, 'identityHash', path, problems, true);
  checkEnumExt(item, 'identityType', path, IDENTIFIER_TYPES, problems, true);
  checkStringField(item, 'salt', path, problems);
  const extra = Object.keys(item).filter((k) => !['type', 'hashed', 'identityHash', 'identityType', 'salt'].includes(k)).sort();
  if (extra.length) problems.push(`${path}: unexpected field ${repr(extra[0])}`);
}

function checkAchievement(achievement, path, problems) {
  checkUriField(achievement, 'id', path, problems, true);
  checkTypes(achievement, path, problems, ['Achievement']);
  checkStringField(achievement, 'name', path, problems, true);
  checkStringField(achievement, 'description', path, problems, true);
  const criteria = has(achievement, 'criteria') ? achievement.criteria : null;
  if (criteria === null) problems.push(`${path}.criteria: is required`);
  else if (!isObject(criteria)) problems.push(`${path}.criteria: must be an object with id and/or narrative`);
  else {
    checkStringField(criteria, 'id', `${path}.criteria`, problems);
    checkStringField(criteria, 'narrative', `${path}.criteria`, problems);
  }
  checkEnumExt(achievement, 'achievementType', path, ACHIEVEMENT_TYPES, problems);
  checkImage(achievement.image, `${path}.image`, problems);
  for (const key of ['humanCode', 'version', 'inLanguage', 'fieldOfStudy', 'specialization']) checkStringField(achievement, key, path, problems);
  if (has(achievement, 'tag') && !(Array.isArray(achievement.tag) && achievement.tag.every((t) => typeof t === 'string'))) {
    problems.push(`${path}.tag: must be an array of strings`);
  }
  checkObjectArray(achievement, 'alignment', `${path}.alignment`, problems, checkAlignment);
  checkObjectArray(achievement, 'resultDescription', `${path}.resultDescription`, problems, checkResultDescription);
}

function checkAlignment(item, path, problems) {
  checkTypes(item, path, problems, ['Alignment']);
  checkStringField(item, 'targetName', path, problems, true);
  checkUriField(item, 'targetUrl', path, problems, true);
  for (const key of ['targetCode', 'targetDescription', 'targetFramework', 'targetType']) checkStringField(item, key, path, problems);
}

function checkResultDescription(item, path, problems) {
  checkUriField(item, 'id', path, problems, true);
  checkTypes(item, path, problems, ['ResultDescription']);
  checkStringField(item, 'name', path, problems, true);
  checkEnumExt(item, 'resultType', path, RESULT_TYPES, problems, true);
  for (const key of ['requiredLevel', 'requiredValue', 'valueMin', 'valueMax']) checkStringField(item, key, path, problems);
  if (has(item, 'allowedValue') && !(Array.isArray(item.allowedValue) && item.allowedValue.every((v) => typeof v === 'string'))) {
    problems.push(`${path}.allowedValue: must be an array of strings`);
  }
  checkObjectArray(item, 'rubricCriterionLevel', `${path}.rubricCriterionLevel`, problems, checkRubricLevel);
  checkObjectArray(item, 'alignment', `${path}.alignment`, problems, checkAlignment);
}

function checkRubricLevel(item, path, problems) {
  checkUriField(item, 'id', path, problems, true);
  checkTypes(item, path, problems, ['RubricCriterionLevel']);
  checkStringField(item, 'name', path, problems, true);
  for (const key of ['description', 'level', 'points']) checkStringField(item, key, path, problems);
}

function checkResult(item, path, problems) {
  checkTypes(item, path, problems, ['Result']);
  for (const key of ['resultDescription', 'achievedLevel', 'value']) checkStringField(item, key, path, problems);
  if (has(item, 'status') && !(typeof item.status === 'string' && RESULT_STATUSES.has(item.status))) {
    problems.push(`${path}.status: ${repr(item.status)} is not a result status`);
  }
}

function checkEvidence(item, path, problems) {
  checkTypes(item, path, problems, ['Evidence']);
  for (const key of ['id', 'narrative', 'name', 'description', 'genre', 'audience']) checkStringField(item, key, path, problems);
}

function checkProofShape(item, path, problems) {
  checkStringField(item, 'type', path, problems, true);
  for (const key of ['created', 'cryptosuite', 'proofPurpose', 'proofValue', 'verificationMethod']) checkStringField(item, key, path, problems);
}

function checkStatusEntry(entry, path, problems) {
  if (!isObject(entry)) {
    problems.push(`${path}: must be one status entry object`);
    return;
  }
  checkUriField(entry, 'id', path, problems, true);
  checkStringField(entry, 'type', path, problems, true);
  if (entry.type !== 'BitstringStatusListEntry') return;
  const purpose = entry.statusPurpose;
  if (typeof purpose !== 'string' || !purpose) problems.push(`${path}.statusPurpose: is required (for example "revocation")`);
  if (!isDigits(entry.statusListIndex)) {
    problems.push(`${path}.statusListIndex: must be a whole number written as a string, like "94567"`);
  }
  const listUrl = entry.statusListCredential;
  if (!(typeof listUrl === 'string' && ['https', 'http'].includes(urlScheme(listUrl)) && urlNetloc(listUrl))) {
    problems.push(`${path}.statusListCredential: must be the URL of the status list credential`);
  } else if (entry.id === listUrl) {
    problems.push(`${path}.id: must not be the status list URL itself`);
  }
}

/** Python's ``isinstance(x, str) and x.isascii() and x.isdigit()``. */
export function isDigits(value) {
  return typeof value === 'string' && /^[0-9]+$/.test(value);
}
