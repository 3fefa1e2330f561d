// The account's APIs by id and group, and their call URLs: shared by the pages that name APIs.
import { getAll } from '../api.js';

export async function loadApis() {
  const items = await getAll('/v1/apis');
  const byId = new Map(items.map((api) => [api.api_id, api]));
  const byGroup = new Map();
  for (const api of items) {
    if (!api.group) continue;
    if (!byGroup.has(api.group)) byGroup.set(api.group, []);
    byGroup.get(api.group).push(api);
  }
  return { items, byId, byGroup };
}

// The gateway's base_url gives the call URL (the server computes it; none without one).
export function callUrl(api) {
  return api.call_url || '';
}

export function apiLabel(api) {
  return `${api.name} (${api.method} ${api.path})`;
}

// The APIs an authorization covers, of those this account can see.
export function coveredApis(grant, catalog) {
  if (grant.api_id) return catalog.byId.has(grant.api_id) ? [catalog.byId.get(grant.api_id)] : [];
  if (grant.group) return catalog.byGroup.get(grant.group) || [];
  if (grant.all) return catalog.items.filter((api) => api.account_id === grant.provider_account_id);
  return [];
}
