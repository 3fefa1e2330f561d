// The signature debugger: everything happens in this page; the secret is never sent anywhere.
import { append, clear, field, h } from '../dom.js';
import { t } from '../i18n.js';
import { firstDifference, parseHeaders, serverStringToSign, sign, stringToSign } from '../signing.js';

const EXAMPLE_HEADERS = [
  'Accept: application/json',
  'X-Ca-Key: ',
  `X-Ca-Timestamp: ${Date.now()}`,
  'X-Ca-Nonce: 7a1c1d0e-0000-4000-8000-000000000000',
  'X-Ca-Signature-Method: HmacSHA256',
  'X-Ca-Signature-Headers: X-Ca-Key,X-Ca-Nonce,X-Ca-Signature-Method,X-Ca-Timestamp',
].join('\n');

// A StringToSign with its newlines shown, the first difference marked.
function showString(text, difference) {
  const pre = h('pre', { class: 'sts' });
  const visible = (part) => part.replace(/\n/g, '↵\n');
  if (difference < 0 || difference === undefined) {
    pre.append(visible(text));
    return pre;
  }
  pre.append(visible(text.slice(0, difference)));
  const odd = text.slice(difference, difference + 1);
  pre.append(h('mark', { class: 'diff' }, odd === '' ? '∅' : odd === '\n' ? '↵\n' : odd));
  pre.append(visible(text.slice(difference + 1)));
  return pre;
}

function position(text, index) {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - before.lastIndexOf('\n');
  return { line, column };
}

export async function render(main) {
  const f = {
    method: field(t('method'), h('select', { id: 'dbg-method' }, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => h('option', { value: m }, m)))),
    path: field(t('path'), h('input', { type: 'text', id: 'dbg-path', value: '/demo/hello', spellcheck: 'false' }), t('dbgPathHint')),
    query: field(t('query'), h('input', { type: 'text', id: 'dbg-query', placeholder: 'a=1&b=2', spellcheck: 'false' })),
    form: field(t('formBody'), h('input', { type: 'text', id: 'dbg-form', spellcheck: 'false' }), t('formBodyHint')),
    headers: field(t('headers'), h('textarea', { id: 'dbg-headers', rows: 8, spellcheck: 'false', wrap: 'off', value: EXAMPLE_HEADERS }), t('headersHint')),
    secret: field(t('secret'), h('input', { type: 'password', id: 'dbg-secret', autocomplete: 'off' }), t('secretStaysHere')),
    algorithm: field(t('signatureMethod'), h('select', { id: 'dbg-algorithm' }, h('option', { value: 'HmacSHA256' }, 'HmacSHA256'), h('option', { value: 'HmacSHA1' }, 'HmacSHA1'))),
    server: field(t('serverMessage'), h('textarea', { id: 'dbg-server', rows: 3, spellcheck: 'false' }), t('serverMessageHint')),
    sent: field(t('sentSignature'), h('input', { type: 'text', id: 'dbg-sent', spellcheck: 'false' }), t('optional')),
  };
  const output = h('div', { class: 'debug-output', 'aria-live': 'polite', id: 'dbg-output' });
  const form = h('form', { class: 'debug-form', novalidate: true }, Object.values(f).map((x) => x.row));
  const update = async () => {
    const headers = parseHeaders(f.headers.input.value);
    const ours = stringToSign({
      method: f.method.input.value, path: f.path.input.value.trim(), query: f.query.input.value.trim().replace(/^\?/, ''),
      form: f.form.input.value.trim(), headers,
    });
    const algorithm = headers.get('x-ca-signature-method') || f.algorithm.input.value;
    let signature = '';
    if (f.secret.input.value) {
      try {
        signature = await sign(ours, f.secret.input.value, algorithm);
      } catch (error) {
        signature = error.message;
      }
    }
    const server = f.server.input.value.trim() ? serverStringToSign(f.server.input.value) : null;
    const difference = server === null ? -1 : firstDifference(ours, server);
    clear(output);
    append(output, [
      h('h2', { class: 'small' }, t('ourStringToSign')),
      showString(ours, difference),
      h('h2', { class: 'small' }, t('signatureWith', { method: algorithm })),
      h('pre', { class: 'sts', id: 'dbg-signature' }, signature || t('enterSecret')),
    ]);
    const sent = f.sent.input.value.trim();
    if (sent && signature) {
      output.append(h('p', { class: sent === signature ? 'ok' : 'warning' }, sent === signature ? t('signatureMatches') : t('signatureDiffers')));
    }
    if (server !== null) {
      const where = difference < 0 ? null : position(ours, difference);
      output.append(
        h('h2', { class: 'small' }, t('serverStringToSign')),
        showString(server, difference),
        h('p', { class: difference < 0 ? 'ok' : 'warning', id: 'dbg-verdict' }, difference < 0
          ? t('stringsMatch')
          : t('firstDifference', { index: difference, line: where.line, column: where.column })),
      );
    }
  };
  for (const x of Object.values(f)) x.input.addEventListener('input', update);
  append(main, [
    h('h1', null, t('signatureDebugger')),
    h('p', { class: 'lead' }, t('debuggerLead')),
    h('div', { class: 'debug' }, form, output),
  ]);
  await update();
}
