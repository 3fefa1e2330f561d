// Form checks as you type, from the API's own OpenAPI document (the same constraints and
// wording pydantic answers with), and the API's 400 shown on the field it names.
import { url } from '../api.js';
import { setFieldError } from '../dom.js';
import { validationSentence } from '../errors.js';

let documentPromise = null;

function openapi() {
  documentPromise = documentPromise || fetch(url('/openapi.json')).then((r) => r.json()).catch(() => null);
  return documentPromise;
}

export async function schemaOf(model) {
  const doc = await openapi();
  return (doc && doc.components && doc.components.schemas && doc.components.schemas[model]) || null;
}

// A property's enum (of its items for a list, of its keys for a map), as the document
// declares it: the stages, windows and methods the console offers are the ones the server takes.
export async function enumOf(model, property) {
  const schema = await schemaOf(model);
  let prop = schema && schema.properties ? schema.properties[property] : null;
  if (prop && prop.anyOf) prop = prop.anyOf.find((branch) => branch.type !== 'null') || null;
  if (prop && prop.items) prop = prop.items;
  if (prop && prop.propertyNames) prop = prop.propertyNames;
  return (prop && prop.enum) || [];
}

// The examples of an operation's query parameter (e.g. every result a call record may have).
export async function queryExamples(path, method, name) {
  const doc = await openapi();
  const operation = doc && doc.paths && doc.paths[path] && doc.paths[path][method];
  const parameter = operation && operation.parameters.find((p) => p.name === name && p.in === 'query');
  const schema = parameter && parameter.schema;
  const branch = schema && schema.anyOf ? schema.anyOf.find((b) => b.examples) : schema;
  return (branch && branch.examples) || (schema && schema.examples) || [];
}

function stringBranch(schema) {
  if (!schema) return null;
  if (schema.anyOf) return schema.anyOf.find((branch) => branch.type === 'string') || null;
  return schema.type === 'string' ? schema : null;
}

// The message pydantic would give for this value, or '' when it passes; shown as the
// sentence errors.js makes of the server's answer (the same words either way, never a pattern).
export function checkString(name, value, schema, { optional = false } = {}) {
  const rule = stringBranch(schema);
  if (!rule || (optional && value === '')) return '';
  const text = rule.pattern ? value : value.trim();
  let message = '';
  if (rule.minLength !== undefined && text.length < rule.minLength) {
    message = `String should have at least ${rule.minLength} character${rule.minLength === 1 ? '' : 's'}`;
  } else if (rule.maxLength !== undefined && text.length > rule.maxLength) {
    message = `String should have at most ${rule.maxLength} characters`;
  } else if (rule.pattern && !new RegExp(rule.pattern, 'u').test(value)) {
    message = 'String should match pattern';
  }
  return message ? validationSentence(name, `${name}: ${message}`) : '';
}

// Wire live checks on string fields: { name: [field, optional] }.
// Returns the check at once (callers may await it): typing and submitting may start before
// the document has arrived; until then only the server checks.
export function liveCheck(model, fields) {
  let schema = null;
  const check = () => {
    if (!schema) return true;
    let ok = true;
    for (const [name, [f, optional]] of Object.entries(fields)) {
      const message = checkString(name, f.input.value, schema.properties[name], { optional });
      setFieldError(f, message);
      if (message) ok = false;
    }
    return ok;
  };
  const typed = () => Object.values(fields).some(([f]) => f.input.value !== '' || f.input.getAttribute('aria-invalid'));
  for (const [f] of Object.values(fields)) {
    f.input.addEventListener('input', () => {
      if (f.input.value !== '' || f.input.getAttribute('aria-invalid')) check();
    });
  }
  schemaOf(model).then((found) => {
    schema = found;
    if (typed()) check();
  });
  return check;
}

// Put a 400's message under the field it names; true when one was found.
export function showFieldError(error, fields) {
  if (!error || error.status !== 400 || !error.field) return false;
  const name = error.field.split('.')[0].replace(/\[\d+\]$/, '');
  const f = fields[name];
  if (!f) return false;
  setFieldError(f, error.message);
  f.input.focus();
  return true;
}
