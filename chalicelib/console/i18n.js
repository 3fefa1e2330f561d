// Two dictionaries with the same keys (a test checks it); the choice is kept in localStorage.
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';

export const LANGUAGES = { en: { name: 'English', words: en }, 'zh-CN': { name: '简体中文', words: zhCN } };
const KEY = 'apiauth.lang';

let current = localStorage.getItem(KEY)
  || (navigator.language && navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en');
if (!LANGUAGES[current]) current = 'en';

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!LANGUAGES[code]) return;
  current = code;
  localStorage.setItem(KEY, code);
  document.documentElement.lang = code;
}

document.documentElement.lang = current;

export function t(key, vars) {
  let text = LANGUAGES[current].words[key] ?? en[key] ?? key;
  for (const [name, value] of Object.entries(vars || {})) text = text.split(`{${name}}`).join(String(value));
  return text;
}
